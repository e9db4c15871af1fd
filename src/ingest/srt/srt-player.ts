/** One SRT playback socket: a hub subscriber whose frames are muxed to MPEG-TS and sent 7 packets per message. */
import type { Logger } from 'pino';
import type { LiveHub, LiveSubscriber } from '../../core/contracts.js';
import type { MediaFrame, TrackConfig } from '../../media/frame.js';
import { TsMuxer } from '../../protocols/mpegts/ts-muxer.js';

/** 7 TS packets of 188 bytes: the usual SRT live payload (SRTO_PAYLOADSIZE 1316). */
export const SRT_TS_MESSAGE = 7 * 188;

export interface SrtPlayerOptions {
  socket: number;
  /** the stream whose media is played */
  streamId: string;
  peer: string;
  hub: LiveHub;
  logger: Logger;
  /** native send: messages dropped because the socket's send buffer is full, -1 when the socket is gone */
  send: (data: Buffer) => number;
  closeSocket: (reason: string) => void;
}

export class SrtPlayer implements LiveSubscriber {
  private readonly muxer = new TsMuxer();
  private unsubscribe: (() => void) | undefined;
  /** TS bytes short of a whole message, sent with the next frame's */
  private carry: Buffer | undefined;
  private closed = false;
  private readonly log: Logger;
  bytesOut = 0;
  messagesDropped = 0;

  constructor(private readonly opts: SrtPlayerOptions) {
    this.log = opts.logger.child({ socket: opts.socket, streamId: opts.streamId, peer: opts.peer });
  }

  start(): void {
    this.log.info('srt playback started');
    this.unsubscribe = this.opts.hub.subscribe(this.opts.streamId, this);
  }

  onConfig(config: TrackConfig): void {
    if (this.closed) return;
    try {
      this.muxer.onConfig(config);
    } catch (err) {
      // e.g. AV1, which MPEG-TS cannot carry here
      this.log.warn({ err, codec: config.codec }, 'track cannot be played over SRT');
      this.opts.closeSocket('unsupported codec');
    }
  }

  onFrame(frame: MediaFrame): void {
    if (this.closed) return;
    let ts = this.muxer.onFrame(frame);
    if (ts.length === 0) return;
    if (this.carry) {
      ts = Buffer.concat([this.carry, ts]);
      this.carry = undefined;
    }
    const whole = ts.length - (ts.length % SRT_TS_MESSAGE);
    if (whole < ts.length) this.carry = ts.subarray(whole);
    if (whole === 0) return;
    const dropped = this.opts.send(ts.subarray(0, whole));
    if (dropped < 0) return; // socket gone: its close event follows
    // A slow viewer loses messages instead of slowing the stream (libsrt's send buffer is full).
    this.messagesDropped += dropped;
    this.bytesOut += whole;
  }

  onEnd(): void {
    // The tail short of a whole message goes out as a shorter message, so the last frame is complete.
    if (this.carry && !this.closed) this.opts.send(this.carry);
    this.carry = undefined;
    this.opts.closeSocket('stream ended');
  }

  onClosed(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    this.log.info({ reason, bytesOut: this.bytesOut, messagesDropped: this.messagesDropped }, 'srt playback closed');
  }
}
