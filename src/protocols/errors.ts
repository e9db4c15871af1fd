/** Typed errors shared by the pure protocol codecs: hostile or broken input always ends in one of these. */

/** Input that violates a protocol (or one of our safety bounds). `code` is stable and machine-readable. */
export class ProtocolError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
  }
}

/** Input ended before a complete value could be read (a truncated buffer, not a malformed one). */
export class TruncatedError extends ProtocolError {
  constructor(what: string) {
    super('TRUNCATED', `truncated ${what}`);
    this.name = 'TruncatedError';
  }
}
