/** The webhook event envelope of CONTRACT.md section 9, serialized once: the stored text is what gets signed and sent. */
import { newUuid, nowMicroIso } from '../core/streams-ids.js';

export interface WebhookEventInput {
  /** e.g. `video.live_stream.created` */
  type: string;
  /** the stream id ("object.id == data id"); also the per-endpoint ordering key */
  objectId: string;
  /** coarse status string: the stream's status after the change (`deleted` for deletions) */
  status: string;
  /** full LiveStream object (or the simulcast target for simulcast_target events) */
  data: unknown;
  /** `object.type` of the envelope: `live` (default) or `media` (video.media.* events, object.id = the media id) */
  objectType?: string;
  /** deliveries with the same key go out in order per endpoint; default objectId (media events of a recording use the stream id) */
  orderKey?: string;
}

export interface Workspace {
  id: string;
  name: string;
}

export interface BuiltEvent {
  id: string;
  type: string;
  objectId: string;
  /** per-endpoint ordering key of the deliveries */
  orderKey: string;
  body: string;
  createdAt: string;
}

export function buildEnvelope(input: WebhookEventInput, workspace: Workspace): BuiltEvent {
  const id = newUuid();
  const createdAt = nowMicroIso();
  const envelope = {
    type: input.type,
    object: { type: input.objectType ?? 'live', id: input.objectId },
    id,
    workspace: { id: workspace.id, name: workspace.name },
    status: input.status,
    data: input.data,
    createdAt,
    attempts: [],
  };
  return { id, type: input.type, objectId: input.objectId, orderKey: input.orderKey ?? input.objectId, body: JSON.stringify(envelope), createdAt };
}
