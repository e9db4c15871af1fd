/**
 * One RTMP(S) publish to a simulcast target, fed from the stream hub: handshake, connect, releaseStream /
 * FCPublish / createStream, publish(streamKey), then onMetaData, sequence headers and media as FLV tags.
 * A slow target never holds anyone up: past `maxQueueBytes` of unsent socket data, frames are dropped
 * until the next video keyframe (and counted); a target that stays that slow is closed (the manager
 * reconnects it).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { LiveSubscriber } from '../../core/contracts.js';
import type { AudioConfig, MediaFrame, TrackConfig, VideoConfig } from '../frame.js';
import { encodeAmf0 } from '../../protocols/amf0/amf0-encoder.js';
import type { Amf0Object, Amf0Value } from '../../protocols/amf0/amf0-types.js';
import { ProtocolError } from '../../protocols/errors.js';
import {
  configTagBody,
  FLV_TAG_AUDIO,
  FLV_TAG_VIDEO,
  frameTagHeaderLength,
  frameTagType,
  metadataBody,
  needsEnhancedRtmp,
  toMs,
  writeFrameTagHeader,
} from '../../protocols/flv/flv-muxer.js';
import { RtmpChunkReader } from '../../protocols/rtmp/rtmp-chunk-reader.js';
import { messageHeaderLength, pushChunkedPayload, writeMessageHeader } from '../../protocols/rtmp/rtmp-chunk-vector.js';
import { RtmpChunkWriter } from '../../protocols/rtmp/rtmp-chunk-writer.js';
import { RtmpClientHandshake } from '../../protocols/rtmp/rtmp-client-handshake.js';
import { decodeCommand } from '../../protocols/rtmp/rtmp-command.js';
import {
  acknowledgementBody,
  MessageType,
  setChunkSizeBody,
  userControlBody,
  UserControlEvent,
  windowAckSizeBody,
  type RtmpMessage,
} from '../../protocols/rtmp/rtmp-message.js';
import { parseRtmpUrl, type RtmpTargetUrl } from '../../protocols/rtmp/rtmp-url.js';
import { releaseSlab, retainSlab } from '../../protocols/slab-pool.js';

export interface RtmpPushClientOptions {
  /** `rtmp(s)://host[:port]/app[/...]` */
  url: string;
  streamKey: string;
  logger: Logger;
  /** unsent socket bytes past which frames are dropped until the next keyframe (default 4 MiB) */
  maxQueueBytes?: number;
  /** our outgoing chunk size, announced with Set Chunk Size (default 4096, what OBS and ffmpeg send) */
  chunkSize?: number;
  /** TCP/TLS connect + handshake + connect + publish must finish within this (ms, default 10 s) */
  connectTimeoutMs?: number;
  /** dropping for longer than this closes the connection as too slow (ms, default 20 s) */
  stallTimeoutMs?: number;
  /** verify the target's TLS certificate (default true) */
  tlsRejectUnauthorized?: boolean;
  /** the target answered NetStream.Publish.Start */
  onPublishing?: () => void;
  /** the connection closed by itself (refused, failed, dropped); not called after stop() */
  onClose?: (reason: string) => void;
}

export interface PushStats {
  framesSent: number;
  /** frames dropped because the target was too slow */
  framesDropped: number;
  /** times the send queue overflowed */
  dropEvents: number;
  bytesSent: number;
}

type State = 'idle' | 'handshake' | 'connect' | 'create' | 'publish' | 'publishing' | 'closed';

const DEFAULT_MAX_QUEUE = 4 * 1024 * 1024;
const DEFAULT_CHUNK_SIZE = 4096;
/** Window Acknowledgement Size we announce: we read almost nothing, so the server rarely needs to ack. */
const OUR_WINDOW = 5_000_000;

const CSID_CONTROL = 2;
const CSID_COMMAND = 3;
const CSID_AUDIO = 4;
const CSID_DATA = 5;
const CSID_VIDEO = 6;
const CSID_STREAM = 8;

const TID_CONNECT = 1;
const TID_RELEASE = 2;
const TID_FCPUBLISH = 3;
const TID_CREATE = 4;
const TID_PUBLISH = 5;

export class RtmpPushClient implements LiveSubscriber {
  readonly stats: PushStats = { framesSent: 0, framesDropped: 0, dropEvents: 0, bytesSent: 0 };
  /** when publishing started (ms since epoch), 0 before */
  publishedAt = 0;
  private readonly log: Logger;
  private readonly target: RtmpTargetUrl;
  private readonly maxQueue: number;
  private readonly chunkSize: number;
  private readonly stallMs: number;
  private state: State = 'idle';
  private socket: Socket | TLSSocket | undefined;
  private readonly handshake = new RtmpClientHandshake();
  private readonly reader = new RtmpChunkReader();
  private readonly writer = new RtmpChunkWriter();
  private connectTimer: NodeJS.Timeout | undefined;
  private streamId = 0;
  private serverWindow = 0;
  private lastAck = 0;
  private video: VideoConfig | undefined;
  private audio: AudioConfig | undefined;
  private sentVideo: Buffer | undefined;
  private sentAudio: Buffer | undefined;
  /** onMetaData and the first sequence headers went out (just before the first frame) */
  private setupSent = false;
  /** wait for a video keyframe before sending media (start, new config, discontinuity) */
  private needKey = true;
  /** the send queue overflowed: drop until a keyframe finds it drained */
  private dropping = false;
  private dropSince = 0;
  /** ms subtracted from every timestamp so the target sees the publish start near 0 */
  private baseMs = -1;
  private lastTs = 0;
  private error: string | undefined;
  /** reused for every frame's vectored write */
  private readonly parts: Buffer[] = [];

  constructor(private readonly opts: RtmpPushClientOptions) {
    this.target = parseRtmpUrl(opts.url);
    this.log = opts.logger;
    this.maxQueue = opts.maxQueueBytes ?? DEFAULT_MAX_QUEUE;
    this.chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
    this.stallMs = opts.stallTimeoutMs ?? 20_000;
  }

  /** (a method, so that TypeScript does not narrow `state` across calls that change it) */
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  get publishing(): boolean {
    return this.state === 'publishing';
  }

  /** Opens the connection; the outcome arrives through onPublishing / onClose. */
  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'handshake';
    const { host, port, secure } = this.target;
    const socket = secure
      ? tlsConnect({ host, port, rejectUnauthorized: this.opts.tlsRejectUnauthorized ?? true, ...(isIp(host) ? {} : { servername: host }) })
      : netConnect({ host, port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    this.connectTimer = setTimeout(() => this.fail(`no NetStream.Publish.Start within ${this.opts.connectTimeoutMs ?? 10_000} ms`), this.opts.connectTimeoutMs ?? 10_000);
    this.connectTimer.unref();
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      if (this.state === 'closed') return;
      socket.write(this.handshake.start());
    });
    socket.on('data', (data: Buffer) => this.onData(data));
    socket.on('error', (err) => {
      this.error ??= `socket error: ${err.message}`;
    });
    socket.on('close', () => this.finish(this.error ?? (this.state === 'publishing' ? 'target closed the connection' : 'target closed the connection before publishing')));
  }

  /** Ends the publish politely (FCUnpublish, deleteStream) and closes; onClose is not called. */
  stop(): void {
    if (this.state === 'closed') return;
    const socket = this.socket;
    const wasPublishing = this.state === 'publishing';
    this.state = 'closed';
    clearTimeout(this.connectTimer);
    if (!socket) return;
    if (wasPublishing && !socket.destroyed) {
      try {
        this.command(CSID_COMMAND, 0, 'FCUnpublish', 0, null, this.opts.streamKey);
        this.command(CSID_COMMAND, 0, 'deleteStream', 0, null, this.streamId);
      } catch {
        // the socket is going away anyway
      }
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    } else {
      socket.destroy();
    }
  }

  // ---- LiveSubscriber (the hub) ----

  onConfig(config: TrackConfig): void {
    if (config.track === 'video') this.video = config;
    else this.audio = config;
    if (this.state === 'publishing' && this.setupSent) this.sendConfigs();
  }

  onDiscontinuity(): void {
    // The publisher reconnected: timestamps continue (core rebases them), but restart on a keyframe.
    this.needKey = true;
  }

  onEnd(): void {
    // The session is over; the manager stops this client.
  }

  onFrame(frame: MediaFrame): void {
    if (this.state !== 'publishing') return;
    const socket = this.socket!;
    const isKey = frame.track === 'video' && frame.keyframe;
    const hasVideo = this.video !== undefined;
    if (!this.dropping && socket.writableLength > this.maxQueue) {
      this.dropping = true;
      this.dropSince = Date.now();
      this.stats.dropEvents++;
      this.log.warn({ queued: socket.writableLength, limit: this.maxQueue }, 'simulcast target too slow: dropping until the next keyframe');
    }
    if (this.dropping) {
      // Resume on a keyframe (or, audio-only, any frame) once the queue has drained to half the limit.
      const resumable = (hasVideo ? isKey : true) && socket.writableLength <= this.maxQueue / 2;
      if (!resumable) {
        this.stats.framesDropped++;
        if (Date.now() - this.dropSince > this.stallMs) this.fail(`target too slow: no progress for ${this.stallMs} ms`);
        return;
      }
      this.dropping = false;
      this.needKey = hasVideo;
    }
    if (this.needKey && hasVideo) {
      if (!isKey) return;
      this.needKey = false;
    }
    // onMetaData + sequence headers wait for the first frame sent, when the hub has given both tracks' configs.
    if (!this.setupSent) this.sendSetup();
    if (frame.track === 'video' ? this.sentVideo === undefined : this.sentAudio === undefined) return; // no config yet
    this.sendFrame(frame);
  }

  // ---- sending ----

  private timestamp(t90k: number): number {
    const ms = toMs(t90k);
    if (this.baseMs < 0) this.baseMs = ms;
    const ts = ms - this.baseMs;
    return ts > 0 ? ts : 0;
  }

  /** Hot path: one allocation (chunk header + FLV tag header); the payload goes out as views. */
  private sendFrame(frame: MediaFrame): void {
    const ts = this.timestamp(frame.dts);
    this.lastTs = ts;
    const tagLen = frameTagHeaderLength(frame);
    const length = tagLen + frame.data.length;
    if (length > 0xffffff) {
      this.stats.framesDropped++;
      return; // an RTMP message cannot carry it
    }
    const csid = frame.track === 'video' ? CSID_VIDEO : CSID_AUDIO;
    const hl = messageHeaderLength(ts);
    const head = Buffer.allocUnsafe(hl + tagLen);
    writeMessageHeader(head, 0, csid, frameTagType(frame), this.streamId, ts, length);
    writeFrameTagHeader(frame, head, hl);
    const parts = this.parts;
    parts.length = 0;
    parts.push(head);
    pushChunkedPayload(parts, this.chunkSize, csid, ts, tagLen, frame.data);
    const socket = this.socket!;
    // the payload slices go to the socket as they are: a payload in a recycled slab stays pinned until written
    const slab = frame.slab;
    if (slab) retainSlab(slab);
    socket.cork();
    const last = parts.length - 1;
    for (let i = 0; i < last; i++) socket.write(parts[i]!);
    if (slab) socket.write(parts[last]!, () => releaseSlab(slab));
    else socket.write(parts[last]!);
    socket.uncork();
    parts.length = 0;
    this.stats.framesSent++;
    this.stats.bytesSent += hl + length + (Math.ceil(length / this.chunkSize) - 1) * (hl === 12 ? 1 : 5);
  }

  private sendSetup(): void {
    this.setupSent = true;
    if (this.video || this.audio) {
      this.sendMessage(CSID_DATA, MessageType.DataAmf0, metadataBody(this.video, this.audio, { encoder: 'onair' }), 0);
    }
    this.sendConfigs();
  }

  /** Sequence headers that changed since last sent; a changed video config restarts on a keyframe. */
  private sendConfigs(): void {
    if (this.video && (this.sentVideo === undefined || !this.sentVideo.equals(this.video.record))) {
      this.sendMessage(CSID_VIDEO, FLV_TAG_VIDEO, configTagBody(this.video));
      if (this.sentVideo !== undefined) this.needKey = true;
      this.sentVideo = this.video.record;
    }
    if (this.audio && (this.sentAudio === undefined || !this.sentAudio.equals(this.audio.asc))) {
      this.sendMessage(CSID_AUDIO, FLV_TAG_AUDIO, configTagBody(this.audio));
      this.sentAudio = this.audio.asc;
    }
  }

  private sendMessage(csid: number, type: number, body: Buffer, ts = this.lastTs): void {
    this.socket!.write(this.writer.write(csid, type, this.streamId, ts, body));
  }

  private control(type: number, body: Buffer): void {
    this.socket!.write(this.writer.write(CSID_CONTROL, type, 0, 0, body));
  }

  private command(csid: number, streamId: number, name: string, tid: number, ...values: Amf0Value[]): void {
    this.socket!.write(this.writer.write(csid, MessageType.CommandAmf0, streamId, 0, encodeAmf0(name, tid, ...values)));
  }

  // ---- receiving ----

  private onData(data: Buffer): void {
    if (this.state === 'closed') return;
    try {
      if (this.state === 'handshake') {
        const step = this.handshake.feed(data);
        if (step.send) this.socket!.write(step.send);
        if (!step.done) return;
        this.sendConnect();
        if (step.rest === undefined || step.rest.length === 0) return;
        data = step.rest;
      }
      const messages = this.reader.feed(data);
      for (let i = 0; i < messages.length && !this.isClosed(); i++) this.onMessage(messages[i]!);
      // "The peer MUST send an acknowledgment after receiving bytes equal to the window size."
      const received = this.reader.bytesReceived;
      if (!this.isClosed() && this.serverWindow > 0 && received - this.lastAck >= this.serverWindow) {
        this.lastAck = received;
        this.control(MessageType.Acknowledgement, acknowledgementBody(received));
      }
    } catch (err) {
      this.fail(err instanceof ProtocolError ? `protocol error: ${err.message}` : `internal error: ${(err as Error).message}`);
    }
  }

  private sendConnect(): void {
    this.state = 'connect';
    this.control(MessageType.SetChunkSize, setChunkSizeBody(this.chunkSize));
    this.writer.chunkSize = this.chunkSize;
    const obj: Amf0Object = {
      app: this.target.app,
      type: 'nonprivate',
      flashVer: 'FMLE/3.0 (compatible; onair)',
      tcUrl: this.target.tcUrl,
    };
    // Enhanced RTMP: "fourCcList ... the client announces the FourCC codecs it may send".
    if (this.video && needsEnhancedRtmp(this.video.codec)) obj.fourCcList = ['avc1', 'hvc1', 'av01'];
    this.command(CSID_COMMAND, 0, 'connect', TID_CONNECT, obj);
  }

  private onMessage(msg: RtmpMessage): void {
    switch (msg.type) {
      case MessageType.WindowAckSize:
        if (msg.payload.length >= 4) this.serverWindow = msg.payload.readUInt32BE(0);
        return;
      case MessageType.SetPeerBandwidth:
        // librtmp answers with its own Window Acknowledgement Size; some servers wait for it.
        this.control(MessageType.WindowAckSize, windowAckSizeBody(OUR_WINDOW));
        return;
      case MessageType.UserControl:
        // "Ping Request ... The client/server sends this event to test whether the peer is reachable"
        if (msg.payload.length >= 6 && msg.payload.readUInt16BE(0) === UserControlEvent.PingRequest) {
          this.control(MessageType.UserControl, userControlBody(UserControlEvent.PingResponse, msg.payload.readUInt32BE(2)));
        }
        return;
      case MessageType.CommandAmf0:
      case MessageType.CommandAmf3:
        this.onCommand(decodeCommand(msg.type, msg.payload));
        return;
      default:
        return; // Set Chunk Size / Abort are applied by the reader; acks, data and media need nothing
    }
  }

  private onCommand(cmd: ReturnType<typeof decodeCommand>): void {
    const info = cmd.args[0];
    const infoObj = info !== null && typeof info === 'object' && !Array.isArray(info) ? (info as Amf0Object) : {};
    const describe = (): string => [infoObj.code, infoObj.description].filter((x) => typeof x === 'string' && x !== '').join(': ');
    switch (cmd.name) {
      case '_result':
        if (cmd.transactionId === TID_CONNECT && this.state === 'connect') {
          this.state = 'create';
          const key = this.opts.streamKey;
          this.command(CSID_COMMAND, 0, 'releaseStream', TID_RELEASE, null, key);
          this.command(CSID_COMMAND, 0, 'FCPublish', TID_FCPUBLISH, null, key);
          this.command(CSID_COMMAND, 0, 'createStream', TID_CREATE, null);
        } else if (cmd.transactionId === TID_CREATE && this.state === 'create') {
          if (typeof info !== 'number') throw new ProtocolError('RTMP_COMMAND', 'createStream answered without a stream id');
          this.streamId = info;
          this.state = 'publish';
          this.command(CSID_STREAM, this.streamId, 'publish', TID_PUBLISH, null, this.opts.streamKey, 'live');
        }
        return;
      case '_error':
        // releaseStream / FCPublish are optional (Twitch and others answer _error): only these matter.
        if (cmd.transactionId === TID_CONNECT) this.fail(`connect refused${describe() ? `: ${describe()}` : ''}`);
        else if (cmd.transactionId === TID_CREATE) this.fail(`createStream refused${describe() ? `: ${describe()}` : ''}`);
        else if (cmd.transactionId === TID_PUBLISH) this.fail(`publish refused${describe() ? `: ${describe()}` : ''}`);
        return;
      case 'onStatus':
        if (infoObj.code === 'NetStream.Publish.Start' && this.state === 'publish') this.startPublishing();
        else if (infoObj.level === 'error') this.fail(`target refused: ${describe() || 'error'}`);
        return;
      case 'close':
        this.fail('target sent close');
        return;
      default:
        return; // onFCPublish, onBWDone, _checkbw, ...
    }
  }

  private startPublishing(): void {
    clearTimeout(this.connectTimer);
    this.state = 'publishing';
    this.publishedAt = Date.now();
    this.needKey = true;
    this.log.info({ url: this.opts.url }, 'simulcast publishing');
    this.opts.onPublishing?.();
  }

  private fail(reason: string): void {
    if (this.state === 'closed') return;
    this.error ??= reason;
    this.socket?.destroy();
    this.finish(this.error);
  }

  private finish(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.connectTimer);
    this.socket?.destroy();
    this.opts.onClose?.(reason);
  }
}

const isIp = (host: string): boolean => /^[\d.]+$/.test(host) || host.includes(':');
