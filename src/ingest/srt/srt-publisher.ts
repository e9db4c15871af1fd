/** One SRT publisher socket: asks core to publish, then demuxes its MPEG-TS into the publish session. */
import type { Logger } from 'pino';
import type { PublishGateway, PublishSession } from '../../core/contracts.js';
import type { FrameSink } from '../../media/frame.js';

/** What the publisher needs of a demuxer (TsDemuxer fits). */
export interface SrtDemuxer {
  push(chunk: Buffer): void;
  flush(): void;
}

export interface SrtPublisherOptions {
  socket: number;
  streamId: string;
  peer: string;
  gateway: PublishGateway;
  logger: Logger;
  demuxer: (sink: FrameSink) => SrtDemuxer;
  /** drop the socket (native close); the close event then comes back through onClosed */
  closeSocket: (reason: string) => void;
  /** bytes held while the gateway decides; more closes the connection */
  maxQueuedBytes?: number;
}

const DEFAULT_MAX_QUEUED = 8 * 1024 * 1024;

export class SrtPublisher {
  private session: PublishSession | undefined;
  private demuxer: SrtDemuxer | undefined;
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private closed = false;
  private readonly log: Logger;
  bytesIn = 0;

  constructor(private readonly opts: SrtPublisherOptions) {
    this.log = opts.logger.child({ socket: opts.socket, streamId: opts.streamId, peer: opts.peer });
  }

  /** Asks core for the stream (the passphrase was already checked by libsrt at the handshake). */
  start(): void {
    const kick = (reason: string): void => this.opts.closeSocket(`kicked: ${reason}`);
    this.opts.gateway
      .publish({ protocol: 'srt', key: this.opts.streamId, byStreamId: true, remote: this.opts.peer }, kick)
      .then(
        (decision) => {
          if (this.closed) {
            if (decision.ok) decision.session.end('closed before publish was accepted');
            return;
          }
          if (!decision.ok) {
            this.log.info({ reason: decision.reason, message: decision.message }, 'srt publish refused');
            this.opts.closeSocket(`refused: ${decision.reason}`);
            return;
          }
          this.session = decision.session;
          this.demuxer = this.opts.demuxer(decision.session);
          this.log.info('srt publishing');
          const queued = this.queued;
          this.queued = [];
          this.queuedBytes = 0;
          for (const chunk of queued) this.feed(chunk);
        },
        (err: unknown) => {
          this.log.error({ err }, 'publish gateway failed');
          this.opts.closeSocket('gateway error');
        },
      );
  }

  /** Whole SRT messages (7 TS packets each, usually), a view into the batch buffer. */
  data(chunk: Buffer): void {
    if (this.closed) return;
    this.bytesIn += chunk.length;
    if (this.demuxer) {
      this.feed(chunk);
      return;
    }
    this.queuedBytes += chunk.length;
    if (this.queuedBytes > (this.opts.maxQueuedBytes ?? DEFAULT_MAX_QUEUED)) {
      this.opts.closeSocket('too much media before publish was accepted');
      return;
    }
    this.queued.push(chunk);
  }

  /** The socket is gone (peer left, broken, kicked, refused): ends the session exactly once. */
  onClosed(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.queued = [];
    if (this.demuxer) {
      try {
        this.demuxer.flush();
      } catch (err) {
        this.log.warn({ err }, 'demuxer flush failed');
      }
    }
    this.session?.end(reason);
    this.log.info({ reason, bytesIn: this.bytesIn }, 'srt publisher closed');
  }

  private feed(chunk: Buffer): void {
    try {
      this.demuxer!.push(chunk);
    } catch (err) {
      // The demuxer tolerates garbage; a throw here is a bug or a sink refusing: drop this publisher.
      this.log.error({ err }, 'srt demux failed');
      this.opts.closeSocket('demux error');
    }
  }
}
