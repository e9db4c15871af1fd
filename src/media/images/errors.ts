/**
 * Errors of the image pipeline. Each carries the HTTP status the caller should answer with (the caller maps it
 * to FastPix's error shape; this module knows nothing of HTTP).
 */

/** The request asks for something impossible (size beyond 4096, no video in the source, offset past the end). */
export class ImageRequestError extends Error {
  override readonly name = 'ImageRequestError';
  readonly status = 400;
  constructor(message: string) {
    super(message);
  }
}

/** Too many image requests are running or queued: answer 503 and let the client retry. */
export class ImageBusyError extends Error {
  override readonly name = 'ImageBusyError';
  readonly status = 503;
  constructor(message = 'image renderer is busy, retry later') {
    super(message);
  }
}

/** ffmpeg did not finish within the time limit; it was killed. */
export class ImageTimeoutError extends Error {
  override readonly name = 'ImageTimeoutError';
  readonly status = 504;
  constructor(readonly timeoutMs: number) {
    super(`image rendering timed out after ${timeoutMs} ms`);
  }
}

/** ffmpeg failed (corrupt source, unsupported codec...). `stderr` holds the tail of its log. */
export class ImageProcessError extends Error {
  override readonly name = 'ImageProcessError';
  readonly status = 500;
  constructor(message: string, readonly stderr = '') {
    super(stderr ? `${message}: ${stderr}` : message);
  }
}
