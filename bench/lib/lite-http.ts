/**
 * A minimal HTTP/1.1 client for simulated viewers: one keep-alive TCP connection, one GET at a time, the answer's
 * status and (optionally) body. Hundreds of viewers in one Node process cost a fraction of what node:http or fetch
 * cost per request (no agent, no header objects, no streams), so the viewers do not become the limit of a
 * viewers-through-an-edge measurement. Handles Content-Length and chunked bodies (RFC 9112 6, 7.1) and a server
 * closing an idle connection (the next GET reconnects).
 */
import { connect, type Socket } from 'node:net';

export interface LiteAnswer {
  status: number;
  /** the body when asked for, else empty */
  body: Buffer;
  bytes: number;
}

interface Pending {
  keepBody: boolean;
  resolve: (answer: LiteAnswer) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/**
 * Incremental response parser: feed bytes, get the answer once complete. `done` is the number of bytes of the
 * input that belonged to this response (the rest would be the next one's; a client sending one request at a time
 * gets none).
 */
export class ResponseParser {
  private head: Buffer | undefined;
  private status = 0;
  /** remaining body bytes (Content-Length), or -1 for chunked */
  private remaining = 0;
  private chunked = false;
  /** chunked: bytes left in the current chunk (+2 for its CRLF), or -1 when a size line comes next */
  private chunkLeft = -1;
  /** chunked: a size line split across feeds; the final CRLF after the last chunk */
  private sizeCarry = '';
  private finalCrlf = 0;
  private last = false;
  private readonly parts: Buffer[] = [];
  private bytes = 0;
  /** the server closes after this response (Connection: close) */
  close = false;

  constructor(private readonly keepBody: boolean) {}

  /** Returns the answer when complete, else undefined (more bytes needed). Throws on malformed input. */
  feed(data: Buffer): LiteAnswer | undefined {
    let p = 0;
    if (this.head === undefined) {
      const buf = this.parts.length ? Buffer.concat([...this.parts.splice(0), data]) : data;
      const end = buf.indexOf(CRLFCRLF);
      if (end < 0) {
        if (buf.length > 64 * 1024) throw new Error('response head over 64 KiB');
        this.parts.push(Buffer.from(buf));
        return undefined;
      }
      this.head = buf.subarray(0, end);
      const text = this.head.toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (!status) throw new Error(`not an HTTP/1.1 response: ${text.slice(0, 60)}`);
      this.status = Number(status[1]);
      this.chunked = /\r\ntransfer-encoding:[^\r]*chunked/i.test(text);
      this.close = /\r\nconnection:\s*close/i.test(text);
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(text);
      this.remaining = this.chunked ? -1 : length ? Number(length[1]) : 0;
      data = buf;
      p = end + 4;
    }
    if (!this.chunked) {
      const n = Math.min(this.remaining, data.length - p);
      if (n > 0) this.take(data.subarray(p, p + n));
      this.remaining -= n;
      return this.remaining === 0 ? this.answer() : undefined;
    }
    while (p < data.length) {
      if (this.chunkLeft < 0) {
        // a chunk-size line (hex size, optional extensions, CRLF); it may arrive split, even between CR and LF
        const lf = data.indexOf(0x0a, p);
        if (lf < 0) {
          this.sizeCarry += data.toString('latin1', p);
          return undefined;
        }
        const size = parseInt((this.sizeCarry + data.toString('latin1', p, lf)).split(';')[0]!.trim(), 16);
        this.sizeCarry = '';
        if (!Number.isFinite(size)) throw new Error('bad chunk size');
        p = lf + 1;
        if (size === 0) {
          // last chunk: no trailers from the servers we talk to, just the final CRLF
          this.finalCrlf = 2;
          this.chunkLeft = 0;
          this.last = true;
        } else {
          this.chunkLeft = size + 2;
        }
      }
      if (this.last) {
        const n = Math.min(this.finalCrlf, data.length - p);
        this.finalCrlf -= n;
        p += n;
        if (this.finalCrlf === 0) return this.answer();
        return undefined;
      }
      const n = Math.min(this.chunkLeft, data.length - p);
      // the chunk's data, without its trailing CRLF
      const dataBytes = Math.max(0, Math.min(n, this.chunkLeft - 2));
      if (dataBytes > 0) this.take(data.subarray(p, p + dataBytes));
      this.chunkLeft -= n;
      p += n;
      if (this.chunkLeft === 0) this.chunkLeft = -1;
    }
    return undefined;
  }

  private take(slice: Buffer): void {
    this.bytes += slice.length;
    if (this.keepBody) this.parts.push(slice);
  }

  private answer(): LiteAnswer {
    const body = this.keepBody ? (this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts)) : Buffer.alloc(0);
    return { status: this.status, body, bytes: this.bytes };
  }
}

export class LiteHttpConnection {
  private socket: Socket | undefined;
  private connected = false;
  private pending: Pending | undefined;
  private parser: ResponseParser | undefined;

  constructor(readonly host: string, readonly port: number) {}

  /** GET `path`; one at a time per connection. */
  get(path: string, timeoutMs: number, keepBody = true): Promise<LiteAnswer> {
    if (this.pending) return Promise.reject(new Error('one request at a time'));
    return new Promise<LiteAnswer>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`no answer within ${timeoutMs} ms: ${path}`)), timeoutMs);
      this.pending = { keepBody, resolve, reject, timer };
      this.parser = new ResponseParser(keepBody);
      const request = `GET ${path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\nUser-Agent: onair-bench-viewer\r\n\r\n`;
      if (!this.socket || this.socket.destroyed) this.open();
      if (this.connected) this.socket!.write(request);
      else this.socket!.once('connect', () => this.socket?.write(request));
    });
  }

  private open(): void {
    const socket = connect({ host: this.host, port: this.port });
    this.socket = socket;
    this.connected = false;
    socket.setNoDelay(true);
    socket.once('connect', () => { this.connected = true; });
    socket.on('data', (data: Buffer) => this.onData(data));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      this.fail(new Error('connection closed'));
    });
  }

  private onData(data: Buffer): void {
    const pending = this.pending;
    if (!pending || !this.parser) return; // nothing asked: ignore
    let answer: LiteAnswer | undefined;
    try {
      answer = this.parser.feed(data);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    if (!answer) return;
    const close = this.parser.close;
    clearTimeout(pending.timer);
    this.pending = undefined;
    this.parser = undefined;
    if (close) this.socket?.destroy();
    pending.resolve(answer);
  }

  private fail(err: Error): void {
    const pending = this.pending;
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending = undefined;
    this.parser = undefined;
    // the connection is in an unknown state: start over with a new one
    this.socket?.destroy();
    this.socket = undefined;
    pending.reject(err);
  }

  close(): void {
    this.fail(new Error('closed'));
    this.socket?.destroy();
    this.socket = undefined;
  }
}
