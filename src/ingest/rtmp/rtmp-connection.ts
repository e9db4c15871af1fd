/** One RTMP(S) publisher socket: handshake, chunk stream, commands, authentication, media to the session. */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { IngestProtocol, PublishGateway, PublishSession } from '../../core/contracts.js';
import type { MediaFrame, TrackConfig } from '../../media/frame.js';
import { Amf0EcmaArray, type Amf0Object, type Amf0Value } from '../../protocols/amf0/amf0-types.js';
import { ProtocolError } from '../../protocols/errors.js';
import { FlvDemuxer } from '../../protocols/flv/flv-demuxer.js';
import { splitAggregate } from '../../protocols/rtmp/rtmp-aggregate.js';
import { RtmpChunkReader, type AssemblyBudget } from '../../protocols/rtmp/rtmp-chunk-reader.js';
import { RtmpChunkWriter } from '../../protocols/rtmp/rtmp-chunk-writer.js';
import {
  decodeCommand,
  decodeData,
  errorBody,
  fcStatusBody,
  onStatusBody,
  resultBody,
  type RtmpCommand,
} from '../../protocols/rtmp/rtmp-command.js';
import { RtmpServerHandshake } from '../../protocols/rtmp/rtmp-handshake.js';
import { releaseSlab } from '../../protocols/slab-pool.js';
import {
  MessageType,
  setChunkSizeBody,
  setPeerBandwidthBody,
  acknowledgementBody,
  userControlBody,
  UserControlEvent,
  windowAckSizeBody,
  type RtmpMessage,
} from '../../protocols/rtmp/rtmp-message.js';
import { limitHits } from '../connection-limiter.js';
import { ingestTally, rtmpProtocolErrors, rtmpPublishes } from './rtmp-metrics.js';
import { streamKeyFrom } from './rtmp-publish-name.js';

export interface RtmpConnectionOptions {
  gateway: PublishGateway;
  logger: Logger;
  protocol: Extract<IngestProtocol, 'rtmp' | 'rtmps'>;
  /** handshake + connect + publish must finish within this (ms) */
  setupTimeoutMs: number;
  /** no bytes for this long closes the connection (ms) */
  idleTimeoutMs: number;
  /** largest message before a publish is accepted (connect, createStream and publish are tiny) */
  setupMaxMessageBytes: number;
  /** largest message while publishing (a keyframe) */
  maxMessageBytes: number;
  /** partly assembled messages of every connection of the server */
  budget: AssemblyBudget;
  onClose: (conn: RtmpConnection) => void;
}

/** Limits hit by a peer's bytes, by ProtocolError code: counted in onair_limit_hits_total as well. */
const LIMIT_OF_CODE: Readonly<Record<string, string>> = {
  RTMP_MESSAGE_LENGTH: 'rtmp_message_size',
  RTMP_PENDING: 'rtmp_connection_pending_bytes',
  RTMP_BUDGET: 'rtmp_assembly_budget',
  RTMP_CHUNK_STREAMS: 'rtmp_chunk_streams',
  RTMP_FLOOD: 'rtmp_flood',
};

/** Our outgoing chunk size, sent with Set Chunk Size after connect. */
const OUT_CHUNK_SIZE = 4096;
/** Window Acknowledgement Size / Set Peer Bandwidth we announce (bytes). */
const WINDOW = 5_000_000;
/** Command and data messages a connection may send in total (flood bound; encoders send about ten). */
const MAX_COMMANDS = 10_000;
/** Media messages held while the gateway decides on a publish. */
const MAX_QUEUED = 1024;
const MAX_STREAMS = 8;

const CSID_CONTROL = 2;
const CSID_COMMAND = 3;
const CSID_STATUS = 5;

type State = 'handshake' | 'connecting' | 'authorizing' | 'publishing' | 'closing';

export class RtmpConnection {
  readonly remote: string;
  private readonly log: Logger;
  private state: State = 'handshake';
  private readonly handshake = new RtmpServerHandshake();
  private readonly reader: RtmpChunkReader;
  private readonly writer = new RtmpChunkWriter();
  private demuxer: FlvDemuxer | undefined;
  private session: PublishSession | undefined;
  private ended = false;
  private closeReason = 'disconnected';
  private setupTimer: NodeJS.Timeout | undefined;
  private app = '';
  private streams = 0;
  private publishStreamId = 0;
  private commands = 0;
  private queued: RtmpMessage[] = [];
  private peerWindow = 0;
  private lastAck = 0;
  private bytesIn = 0;
  private frames = 0;
  /** this protocol's bytes/frames tally, handed to the Prometheus counters when /metrics is collected */
  private readonly tally;
  metadata: Amf0Value | undefined;

  constructor(private readonly socket: Socket, private readonly opts: RtmpConnectionOptions) {
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.log = opts.logger.child({ remote: this.remote, protocol: opts.protocol });
    this.tally = ingestTally[opts.protocol];
    // Until a publish is accepted a peer is anonymous: tiny messages, no slab.
    this.reader = new RtmpChunkReader({ budget: opts.budget, ...this.setupLimits() });
    socket.setNoDelay(true);
    socket.setTimeout(opts.idleTimeoutMs, () => this.close('idle timeout'));
    this.setupTimer = setTimeout(() => this.close('setup timeout (no publish)'), opts.setupTimeoutMs);
    socket.on('data', (data: Buffer) => this.onData(data));
    socket.on('error', (err) => {
      if (this.closeReason === 'disconnected') this.closeReason = `socket error: ${err.message}`;
    });
    socket.on('close', () => this.onSocketClose());
  }

  private setupLimits() {
    const max = this.opts.setupMaxMessageBytes;
    return { maxMessageLength: max, maxPendingBytes: 2 * max, slabs: false };
  }

  /** Drops the connection (core kicked the publisher, or the server is closing). */
  kick(reason: string): void {
    this.close(`kicked: ${reason}`);
  }

  private close(reason: string, graceful = false): void {
    if (this.state === 'closing' && !graceful) {
      this.socket.destroy();
      return;
    }
    if (this.state !== 'closing') this.closeReason = reason;
    this.state = 'closing';
    this.reader.dispose(); // the shared budget gets its bytes back now, not when the socket is gone
    if (graceful) {
      // Let the error onStatus reach the client, then make sure the socket goes away.
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 2000).unref();
    } else {
      this.socket.destroy();
    }
  }

  private onSocketClose(): void {
    clearTimeout(this.setupTimer);
    this.state = 'closing';
    this.reader.dispose();
    this.endSession(this.closeReason);
    this.log.info({ reason: this.closeReason, bytes: this.bytesIn, frames: this.frames }, 'rtmp connection closed');
    this.opts.onClose(this);
  }

  private endSession(reason: string): void {
    if (this.session === undefined || this.ended) return;
    this.ended = true;
    try {
      this.session.end(reason);
    } catch (err) {
      this.log.error({ err }, 'session.end threw');
    }
  }

  /** (a method, so that TypeScript does not narrow `state` across the awaits and callbacks that change it) */
  private isClosing(): boolean {
    return this.state === 'closing';
  }

  private onData(data: Buffer): void {
    if (this.state === 'closing') return;
    this.bytesIn += data.length;
    this.tally.bytes += data.length;
    try {
      if (this.state === 'handshake') {
        const step = this.handshake.feed(data);
        if (step.send) this.socket.write(step.send);
        if (!step.done) return;
        this.state = 'connecting';
        this.log.debug({ handshake: this.handshake.complex ? 'digest (FP9)' : 'simple' }, 'rtmp handshake done');
        if (step.rest === undefined || step.rest.length === 0) return;
        data = step.rest;
      }
      const messages = this.reader.feed(data);
      try {
        for (let i = 0; i < messages.length && !this.isClosing(); i++) this.onMessage(messages[i]!);
      } finally {
        // media assembled in recycled slabs: whoever keeps the bytes retained the slab meanwhile (frame.ts)
        for (let i = 0; i < messages.length; i++) {
          const slab = messages[i]!.slab;
          if (slab) releaseSlab(slab);
        }
      }
      this.maybeAck();
    } catch (err) {
      if (err instanceof ProtocolError) {
        rtmpProtocolErrors.labels(err.code).inc();
        const limit = LIMIT_OF_CODE[err.code];
        if (limit !== undefined) limitHits.labels(limit).inc();
        this.log.warn({ code: err.code, err: err.message, state: this.state, ...(limit ? { limit } : {}) }, 'rtmp protocol error: closing');
        this.close(`protocol error: ${err.code}`);
      } else {
        this.log.error({ err }, 'rtmp connection failed');
        this.close('internal error');
      }
    }
  }

  /** "The peer MUST send an acknowledgment after receiving bytes equal to the window size." */
  private maybeAck(): void {
    if (this.peerWindow > 0 && this.bytesIn - this.lastAck >= this.peerWindow) {
      this.lastAck = this.bytesIn;
      this.send(CSID_CONTROL, MessageType.Acknowledgement, 0, acknowledgementBody(this.bytesIn));
    }
  }

  private send(csid: number, type: number, streamId: number, body: Buffer): void {
    this.socket.write(this.writer.write(csid, type, streamId, 0, body));
  }

  private onMessage(msg: RtmpMessage): void {
    switch (msg.type) {
      case MessageType.Video:
      case MessageType.Audio:
        this.onMedia(msg);
        return;
      case MessageType.Aggregate:
        for (const sub of splitAggregate(msg)) if (sub.type === MessageType.Video || sub.type === MessageType.Audio) this.onMedia(sub);
        return;
      case MessageType.CommandAmf0:
      case MessageType.CommandAmf3:
        this.countCommand();
        const cmd = decodeCommand(msg.type, msg.payload);
        if (this.log.isLevelEnabled('debug')) this.log.debug(describeCommand(cmd), 'rtmp command');
        this.onCommand(msg, cmd);
        return;
      case MessageType.DataAmf0:
      case MessageType.DataAmf3:
        this.countCommand();
        this.onDataMessage(decodeData(msg.type, msg.payload));
        return;
      case MessageType.WindowAckSize:
        if (msg.payload.length >= 4) this.peerWindow = msg.payload.readUInt32BE(0);
        return;
      case MessageType.UserControl:
        // "Ping Request ... The client/server sends this event to test whether the peer is reachable"
        if (msg.payload.length >= 6 && msg.payload.readUInt16BE(0) === UserControlEvent.PingRequest) {
          this.send(CSID_CONTROL, MessageType.UserControl, 0, userControlBody(UserControlEvent.PingResponse, msg.payload.readUInt32BE(2)));
        }
        return;
      default:
        // Set Chunk Size and Abort are applied by the reader; Acknowledgement and Set Peer Bandwidth
        // need nothing from a server that sends almost nothing.
        return;
    }
  }

  private countCommand(): void {
    if (++this.commands > MAX_COMMANDS) throw new ProtocolError('RTMP_FLOOD', `more than ${MAX_COMMANDS} command messages`);
  }

  private onMedia(msg: RtmpMessage): void {
    if (this.state === 'publishing') {
      if (msg.streamId !== this.publishStreamId && msg.streamId !== 0) return;
      if (msg.type === MessageType.Video) this.demuxer!.pushVideo(msg.payload, msg.timestamp, msg.slab);
      else this.demuxer!.pushAudio(msg.payload, msg.timestamp, msg.slab);
    } else if (this.state === 'authorizing') {
      if (this.queued.length >= MAX_QUEUED) throw new ProtocolError('RTMP_FLOOD', 'too much media before publish was accepted');
      // (kept past this call: a message assembled in a recycled slab is copied out of it)
      this.queued.push(msg.slab ? { ...msg, payload: Buffer.from(msg.payload), slab: null } : msg);
    }
    // media before publish: ignored
  }

  private onDataMessage(values: Amf0Value[]): void {
    // ["@setDataFrame", "onMetaData", {...}] from ffmpeg/OBS; ["onMetaData", {...}] from others
    let i = values[0] === '@setDataFrame' ? 1 : 0;
    if (values[i] === 'onMetaData') {
      const meta = values[i + 1];
      this.metadata = meta instanceof Amf0EcmaArray ? meta.entries : meta;
      if (this.metadata !== undefined) this.log.debug({ metadata: this.metadata }, 'rtmp metadata');
    }
  }

  private onCommand(msg: RtmpMessage, cmd: RtmpCommand): void {
    switch (cmd.name) {
      case 'connect':
        return this.onConnect(cmd);
      case 'releaseStream':
      case 'FCPublish':
        if (cmd.name === 'FCPublish') {
          this.send(CSID_COMMAND, MessageType.CommandAmf0, 0, fcStatusBody('onFCPublish', 'NetStream.Publish.Start', String(cmd.args[0] ?? '')));
        }
        if (cmd.transactionId > 0) this.send(CSID_COMMAND, MessageType.CommandAmf0, 0, resultBody(cmd.transactionId, null, undefined));
        return;
      case 'createStream':
        if (++this.streams > MAX_STREAMS) throw new ProtocolError('RTMP_FLOOD', 'too many createStream calls');
        this.send(CSID_COMMAND, MessageType.CommandAmf0, 0, resultBody(cmd.transactionId, null, this.streams));
        return;
      case 'publish':
        return this.onPublish(msg, cmd);
      case 'FCUnpublish':
        this.send(CSID_COMMAND, MessageType.CommandAmf0, 0, fcStatusBody('onFCUnpublish', 'NetStream.Unpublish.Success', String(cmd.args[0] ?? '')));
        // FCUnpublish already says the publisher is done. ffmpeg sends deleteStream right after it and closes the
        // socket without reading our answers; that close is then a reset, which can drop the deleteStream still in
        // its send queue (seen under load). Ending here makes a clean stop end as one whatever happens next.
        if (this.state === 'publishing') this.unpublish();
        return;
      case 'deleteStream':
      case 'closeStream':
        // The publisher stopped: end the session now, but let the client close the socket (GStreamer's
        // rtmp2sink reports an error when the server hangs up first). It may publish again.
        if (this.state === 'publishing') this.unpublish();
        return;
      case 'play':
      case 'play2':
        this.send(
          CSID_STATUS,
          MessageType.CommandAmf0,
          msg.streamId,
          onStatusBody('error', 'NetStream.Play.Failed', 'RTMP playback is not offered by this server; play the stream over HLS.'),
        );
        this.close('play refused', true);
        return;
      case 'getStreamLength':
        this.send(CSID_COMMAND, MessageType.CommandAmf0, 0, errorBody(cmd.transactionId, null, { level: 'error', code: 'NetStream.Play.Failed', description: 'RTMP playback is not offered; use HLS.' }));
        return;
      default:
        // _checkbw, onBWDone, getStreamLength-like probes...: no answer expected
        this.log.debug({ command: cmd.name }, 'rtmp command ignored');
        return;
    }
  }

  private onConnect(cmd: RtmpCommand): void {
    if (this.state !== 'connecting') throw new ProtocolError('RTMP_COMMAND', 'connect sent twice');
    const obj = (cmd.object !== null && typeof cmd.object === 'object' ? cmd.object : {}) as Amf0Object;
    this.app = typeof obj.app === 'string' ? obj.app : '';
    this.send(CSID_CONTROL, MessageType.WindowAckSize, 0, windowAckSizeBody(WINDOW));
    this.send(CSID_CONTROL, MessageType.SetPeerBandwidth, 0, setPeerBandwidthBody(WINDOW, 2));
    this.send(CSID_CONTROL, MessageType.SetChunkSize, 0, setChunkSizeBody(OUT_CHUNK_SIZE));
    this.writer.chunkSize = OUT_CHUNK_SIZE;
    const props: Amf0Object = { fmsVer: 'FMS/3,0,1,123', capabilities: 31 };
    // Enhanced RTMP: the server answers the client's fourCcList with the codecs it accepts.
    if (Array.isArray(obj.fourCcList)) props.fourCcList = ['avc1', 'hvc1', 'av01', 'mp4a'];
    const info: Amf0Object = {
      level: 'status',
      code: 'NetConnection.Connect.Success',
      description: 'Connection succeeded.',
      objectEncoding: typeof obj.objectEncoding === 'number' ? obj.objectEncoding : 0,
    };
    this.send(CSID_COMMAND, MessageType.CommandAmf0, 0, resultBody(cmd.transactionId, props, info));
  }

  private onPublish(msg: RtmpMessage, cmd: RtmpCommand): void {
    if (this.state !== 'connecting') throw new ProtocolError('RTMP_COMMAND', `publish in state ${this.state}`);
    clearTimeout(this.setupTimer);
    this.publishStreamId = msg.streamId;
    const name = typeof cmd.args[0] === 'string' ? cmd.args[0] : '';
    const key = streamKeyFrom(this.app, name);
    if (key === undefined) {
      this.refuse('NetStream.Publish.BadName', `Publish to rtmp://host/live/<streamKey> (app "${this.app}", name "${name}" is not valid).`);
      return;
    }
    this.state = 'authorizing';
    this.socket.pause(); // the gateway may take a database round trip
    const kick = (reason: string): void => this.kick(reason);
    this.opts.gateway.publish({ protocol: this.opts.protocol, key, remote: this.remote }, kick).then(
      (decision) => {
        this.socket.resume();
        rtmpPublishes.labels(this.opts.protocol, decision.ok ? 'accepted' : decision.reason).inc();
        if (!decision.ok) {
          const code = decision.reason === 'unknown-key' ? 'NetStream.Publish.BadName' : 'NetStream.Publish.Denied';
          this.log.info({ reason: decision.reason }, 'rtmp publish refused');
          this.refuse(code, decision.message);
          return;
        }
        this.session = decision.session;
        if (this.isClosing()) {
          this.endSession(this.closeReason);
          return;
        }
        this.startPublishing(decision.session);
      },
      (err: unknown) => {
        this.log.error({ err }, 'publish gateway failed');
        this.refuse('NetStream.Publish.Denied', 'The server could not authorize this publish; try again.');
      },
    );
  }

  private unpublish(): void {
    this.endSession('unpublished');
    this.session = undefined;
    this.ended = false;
    this.demuxer = undefined;
    this.state = 'connecting';
    this.reader.setLimits(this.setupLimits());
  }

  private refuse(code: string, description: string): void {
    if (this.isClosing()) return;
    this.send(CSID_STATUS, MessageType.CommandAmf0, this.publishStreamId, onStatusBody('error', code, description));
    this.close(`publish refused: ${code}`, true);
  }

  private startPublishing(session: PublishSession): void {
    this.state = 'publishing';
    const max = this.opts.maxMessageBytes;
    // (two partial messages: a video frame and the audio interleaved with it)
    this.reader.setLimits({ maxMessageLength: max, maxPendingBytes: 2 * max, slabs: true });
    this.log.info({ streamId: session.streamId }, 'rtmp publish started');
    this.demuxer = new FlvDemuxer({
      onConfig: (config: TrackConfig) => {
        this.log.info({ track: config.track, codec: config.codecString }, 'rtmp track config');
        session.onConfig(config);
      },
      onFrame: (frame: MediaFrame) => {
        this.frames++;
        this.tally.frames++;
        session.onFrame(frame);
      },
      onWarning: (message: string) => this.log.warn(message),
    });
    this.send(CSID_CONTROL, MessageType.UserControl, 0, userControlBody(UserControlEvent.StreamBegin, this.publishStreamId));
    this.send(
      CSID_STATUS,
      MessageType.CommandAmf0,
      this.publishStreamId,
      onStatusBody('status', 'NetStream.Publish.Start', 'Publishing started.'),
    );
    const queued = this.queued;
    this.queued = [];
    try {
      for (const m of queued) this.onMedia(m);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'rtmp protocol error: closing');
      this.close(err instanceof ProtocolError ? `protocol error: ${err.code}` : 'internal error');
    }
  }
}

/** What an encoder sent, for debug logs: the command, its transaction, its connect properties and its arguments, with
 * stream keys (publish/releaseStream/FCPublish/FCUnpublish names, tcUrl/app query strings) redacted. */
function describeCommand(cmd: RtmpCommand): Record<string, unknown> {
  const keyed = cmd.name === 'publish' || cmd.name === 'releaseStream' || cmd.name === 'FCPublish' || cmd.name === 'FCUnpublish' || cmd.name === 'play';
  const redact = (v: unknown) => (typeof v === 'string' ? (v.length > 0 ? `<redacted ${v.length} chars>` : '') : v);
  const stripQuery = (v: unknown) => (typeof v === 'string' ? v.replace(/\?.*$/, (q) => (q ? '?<redacted>' : '')) : v);
  const out: Record<string, unknown> = { command: cmd.name, transactionId: cmd.transactionId };
  if (cmd.name === 'connect' && cmd.object !== null && typeof cmd.object === 'object' && !Array.isArray(cmd.object)) {
    const o = cmd.object as Record<string, unknown>;
    out.connect = {
      app: stripQuery(o.app), tcUrl: stripQuery(o.tcUrl), flashVer: o.flashVer, type: o.type, objectEncoding: o.objectEncoding,
      ...(Array.isArray(o.fourCcList) ? { fourCcList: o.fourCcList } : {}),
    };
  }
  out.args = keyed ? cmd.args.map((a, i) => (i === 0 ? redact(a) : a)) : cmd.args.map((a) => (typeof a === 'string' && a.length > 200 ? `${a.slice(0, 200)}…` : a));
  return out;
}
