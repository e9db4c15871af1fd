/** FastPix's error envelope (CONTRACT.md sections 1 and 3) and the errors the API throws to produce it. */
import type { Refusal } from '../core/streams-service.js';

export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly description?: string,
    readonly fields?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  /** `{ success: false, error: { code, message, description? | fields? } }` */
  body(): Record<string, unknown> {
    const error: Record<string, unknown> = { code: this.statusCode, message: this.message };
    if (this.fields) error.fields = this.fields;
    else if (this.description !== undefined) error.description = this.description;
    return { success: false, error };
  }
}

/** 422: "body or params fail validation" -> message `payload validation failed` with `fields`. */
export function payloadError(fields: FieldError[]): ApiError {
  return new ApiError(422, 'payload validation failed', undefined, fields);
}

/**
 * Status and strings per refusal; the 400/404 strings are the examples in CONTRACT.md section 3, with the 404
 * description spelled as the live API sends it ("(eg: streamId)", SDK-live artifacts).
 */
const REFUSALS: Record<Refusal, [number, string, string]> = {
  'stream-not-found': [404, 'stream not found', "The requested resource (eg: streamId) doesn't exist in the workspace"],
  'playback-not-found': [404, 'stream/playbackId not found', "The requested resource (eg: streamId or playbackId) doesn't exist in the workspace"],
  'simulcast-not-found': [404, 'stream/simulcast not found', "The requested resource (eg: streamId or simulcastId) doesn't exist in the workspace"],
  'already-enabled': [400, 'stream is already enabled', 'The requested stream is already in an enabled state.'],
  'already-disabled': [400, 'stream already disabled', 'The requested stream is already disabled.'],
  'not-active': [400, 'stream cannot be completed', 'Only active streams can be marked as completed.'],
  'stream-disabled': [400, 'stream is disabled', 'A disabled stream cannot be updated; enable it first.'],
  'simulcast-needs-idle': [400, 'simulcast cannot be created', 'Simulcast targets can only be added while the stream is idle.'],
};

export function refusalError(r: Refusal): ApiError {
  const [status, message, description] = REFUSALS[r];
  return new ApiError(status, message, description);
}

export const unauthorized = (description: string): ApiError => new ApiError(401, 'unauthorized', description);
