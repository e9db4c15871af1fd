/**
 * The fan-out publisher's process (started by bench/lib/fanout-publisher.ts; not run by hand): reads the clip once
 * and publishes it over RTMP to any number of URLs, each at the real-time pace of its own start (like
 * `ffmpeg -re -stream_loop -1 -c copy` per URL), adding and removing URLs while the others run.
 *
 * stdin, one JSON object a line: {"op":"add","id":N,"url":"rtmp://host:port/app/key"} | {"op":"remove","id":N}.
 * stdout, one JSON object a line: {"ev":"ready"} once the clip is read; {"ev":"publishing","id"};
 * {"ev":"closed","id","reason"}; every second {"ev":"progress","t":ms,"s":[[id,mediaMs,queuedBytes],...]}.
 * The process ends when stdin closes (its owner stopped it or died).
 *
 * Per connection: handshake, connect, releaseStream/FCPublish/createStream, publish (what ffmpeg's rtmp muxer
 * sends), then @setDataFrame onMetaData and the sequence headers, then the media tags from the first keyframe on.
 * A server that reads slower than real time fills the socket: past QUEUE_LIMIT of unsent bytes the connection
 * stops taking tags (as a blocking ffmpeg would) and its media clock falls behind the wall clock, which the owner
 * sees in the progress lines.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { encodeAmf0 } from '../../src/protocols/amf0/amf0-encoder.js';
import type { Amf0Object, Amf0Value } from '../../src/protocols/amf0/amf0-types.js';
import { RtmpChunkReader } from '../../src/protocols/rtmp/rtmp-chunk-reader.js';
import { writeMessageHeader } from '../../src/protocols/rtmp/rtmp-chunk-vector.js';
import { RtmpChunkWriter } from '../../src/protocols/rtmp/rtmp-chunk-writer.js';
import { RtmpClientHandshake } from '../../src/protocols/rtmp/rtmp-client-handshake.js';
import { decodeCommand } from '../../src/protocols/rtmp/rtmp-command.js';
import { acknowledgementBody, setChunkSizeBody, userControlBody, windowAckSizeBody, type RtmpMessage } from '../../src/protocols/rtmp/rtmp-message.js';
import { chunkedBody, FLV_AUDIO, FLV_VIDEO, parseFlv } from './flv-clip.js';

const CHUNK_SIZE = 4096;
/** unsent bytes (Node's side of the socket) past which a connection stops taking tags: ~1 s of a 3 Mbit/s clip */
const QUEUE_LIMIT = 512 * 1024;
/**
 * pacing tick: each connection writes the tags due since the last tick in one writev. 33 ms by default, one video
 * frame at 30 fps with its audio: what an encoder hands its socket at a time (BENCH_FANOUT_TICK_MS to change it)
 */
const TICK_MS = Math.max(1, Number(process.env.BENCH_FANOUT_TICK_MS ?? 33) || 33);
/** RTMP message types (rtmp-message.ts has them as a const enum) */
const T_SET_CHUNK_SIZE = 1;
const T_ACK = 3;
const T_USER_CONTROL = 4;
const T_WINDOW_ACK = 5;
const T_PEER_BW = 6;
const T_DATA_AMF0 = 18;
const T_COMMAND_AMF3 = 17;
const T_COMMAND_AMF0 = 20;
const CSID_CONTROL = 2;
const CSID_COMMAND = 3;
const CSID_AUDIO = 4;
const CSID_DATA = 5;
const CSID_VIDEO = 6;
const CSID_STREAM = 8;
/** 24-bit timestamps without the extended field: 4.6 hours of media */
const MAX_TS = 0xfffffe;

const clipPath = process.argv[2];
if (!clipPath) throw new Error('usage: fanout-publisher-main.ts CLIP.flv');
const clip = parseFlv(readFileSync(clipPath));
interface Tag { type: number; ts: number; size: number; chunked: Buffer; csid: number }
const tags: Tag[] = clip.media.map((t) => {
  const csid = t.type === FLV_VIDEO ? CSID_VIDEO : CSID_AUDIO;
  return { type: t.type, ts: t.ts, size: t.body.length, chunked: chunkedBody(t.body, CHUNK_SIZE, csid), csid };
});
const firstKey = Math.max(0, clip.media.findIndex((t) => t.keyframe));
const D = clip.durationMs;

function emit(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

class Connection {
  private readonly socket: Socket;
  private readonly handshake = new RtmpClientHandshake();
  private readonly reader = new RtmpChunkReader();
  private readonly writer = new RtmpChunkWriter();
  private state: 'handshake' | 'connect' | 'create' | 'publish' | 'publishing' | 'closed' = 'handshake';
  private readonly app: string;
  private readonly tcUrl: string;
  private readonly key: string;
  private streamId = 0;
  private serverWindow = 0;
  private lastAck = 0;
  // media clock: tag index, loop, wall time (ms) of media time 0
  private index = firstKey;
  private loop = 0;
  private startedAt = 0;
  /** media ms of the last tag handed to the socket */
  mediaMs = 0;

  constructor(readonly id: number, url: string) {
    const u = new URL(url);
    const path = decodeURIComponent(u.pathname).replace(/^\/+/, '');
    const slash = path.lastIndexOf('/');
    if (slash <= 0) throw new Error(`no app/key in ${url}`);
    this.app = path.slice(0, slash);
    this.key = path.slice(slash + 1);
    this.tcUrl = `rtmp://${u.host}/${this.app}`;
    this.socket = connect({ host: u.hostname, port: Number(u.port || 1935) });
    this.socket.setNoDelay(true);
    this.socket.once('connect', () => this.socket.write(this.handshake.start()));
    this.socket.on('data', (data: Buffer) => this.onData(data));
    this.socket.on('error', (err) => this.close(`socket error: ${err.message}`));
    this.socket.on('close', () => this.close(this.state === 'publishing' ? 'server closed the connection' : `server closed the connection in state ${this.state}`));
  }

  /** (a method, so that TypeScript does not narrow `state` across calls that change it) */
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  get publishing(): boolean {
    return this.state === 'publishing';
  }

  get queued(): number {
    return this.socket.writableLength;
  }

  close(reason: string, notify = true): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.socket.destroy();
    connections.delete(this.id);
    if (notify) emit({ ev: 'closed', id: this.id, reason });
  }

  private send(csid: number, type: number, streamId: number, body: Buffer): void {
    this.socket.write(this.writer.write(csid, type, streamId, 0, body));
  }

  private command(csid: number, streamId: number, name: string, tid: number, ...values: Amf0Value[]): void {
    this.send(csid, T_COMMAND_AMF0, streamId, encodeAmf0(name, tid, ...values));
  }

  private onData(data: Buffer): void {
    if (this.state === 'closed') return;
    try {
      if (this.state === 'handshake') {
        const step = this.handshake.feed(data);
        if (step.send) this.socket.write(step.send);
        if (!step.done) return;
        this.state = 'connect';
        this.send(CSID_CONTROL, T_SET_CHUNK_SIZE, 0, setChunkSizeBody(CHUNK_SIZE));
        this.writer.chunkSize = CHUNK_SIZE;
        const obj: Amf0Object = { app: this.app, type: 'nonprivate', flashVer: 'FMLE/3.0 (compatible; onair-bench)', tcUrl: this.tcUrl };
        this.command(CSID_COMMAND, 0, 'connect', 1, obj);
        if (!step.rest || step.rest.length === 0) return;
        data = step.rest;
      }
      for (const msg of this.reader.feed(data)) {
        if (this.isClosed()) return;
        this.onMessage(msg);
      }
      const received = this.reader.bytesReceived;
      if (this.serverWindow > 0 && received - this.lastAck >= this.serverWindow) {
        this.lastAck = received;
        this.send(CSID_CONTROL, T_ACK, 0, acknowledgementBody(received));
      }
    } catch (err) {
      this.close(`protocol error: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private onMessage(msg: RtmpMessage): void {
    if (msg.type === T_WINDOW_ACK && msg.payload.length >= 4) this.serverWindow = msg.payload.readUInt32BE(0);
    else if (msg.type === T_PEER_BW) this.send(CSID_CONTROL, T_WINDOW_ACK, 0, windowAckSizeBody(5_000_000));
    else if (msg.type === T_USER_CONTROL && msg.payload.length >= 6 && msg.payload.readUInt16BE(0) === 6) {
      // Ping Request -> Ping Response
      this.send(CSID_CONTROL, T_USER_CONTROL, 0, userControlBody(7, msg.payload.readUInt32BE(2)));
    } else if (msg.type === T_COMMAND_AMF0 || msg.type === T_COMMAND_AMF3) this.onCommand(decodeCommand(msg.type, msg.payload));
  }

  private onCommand(cmd: ReturnType<typeof decodeCommand>): void {
    const info = cmd.args[0];
    const obj = info !== null && typeof info === 'object' && !Array.isArray(info) ? (info as Amf0Object) : {};
    if (cmd.name === '_result' && cmd.transactionId === 1 && this.state === 'connect') {
      this.state = 'create';
      this.command(CSID_COMMAND, 0, 'releaseStream', 2, null, this.key);
      this.command(CSID_COMMAND, 0, 'FCPublish', 3, null, this.key);
      this.command(CSID_COMMAND, 0, 'createStream', 4, null);
    } else if (cmd.name === '_result' && cmd.transactionId === 4 && this.state === 'create') {
      if (typeof info !== 'number') throw new Error('createStream answered without a stream id');
      this.streamId = info;
      this.state = 'publish';
      this.command(CSID_STREAM, this.streamId, 'publish', 5, null, this.key, 'live');
    } else if (cmd.name === '_error' && [1, 4, 5].includes(cmd.transactionId)) {
      this.close(`${cmd.transactionId === 1 ? 'connect' : cmd.transactionId === 4 ? 'createStream' : 'publish'} refused: ${String(obj.code ?? '')} ${String(obj.description ?? '')}`.trim());
    } else if (cmd.name === 'onStatus') {
      if (obj.code === 'NetStream.Publish.Start' && this.state === 'publish') this.startPublishing();
      else if (obj.level === 'error') this.close(`server refused: ${String(obj.code ?? '')} ${String(obj.description ?? '')}`.trim());
    }
  }

  private startPublishing(): void {
    this.state = 'publishing';
    // what ffmpeg's flv muxer sends first: @setDataFrame onMetaData, then the sequence headers, all at ts 0
    if (clip.metadata) this.send(CSID_DATA, T_DATA_AMF0, this.streamId, Buffer.concat([encodeAmf0('@setDataFrame'), clip.metadata]));
    if (clip.videoConfig) this.send(CSID_VIDEO, FLV_VIDEO, this.streamId, clip.videoConfig);
    if (clip.audioConfig) this.send(CSID_AUDIO, FLV_AUDIO, this.streamId, clip.audioConfig);
    this.startedAt = performance.now();
    emit({ ev: 'publishing', id: this.id });
  }

  /** Hands the socket every tag that is due by `now` (unless the socket is backed up). */
  pump(now: number): void {
    if (this.state !== 'publishing' || this.socket.writableLength > QUEUE_LIMIT) return;
    const t0 = tags[firstKey]!.ts;
    let corked = false;
    for (;;) {
      const tag = tags[this.index]!;
      const media = Math.max(0, this.loop * D + tag.ts - t0);
      if (this.startedAt + media > now) break;
      if (media > MAX_TS) {
        this.close('clip looped past 4.6 h (24-bit RTMP timestamps)');
        return;
      }
      if (!corked) {
        this.socket.cork();
        corked = true;
      }
      const header = Buffer.allocUnsafe(12);
      writeMessageHeader(header, 0, tag.csid, tag.type, this.streamId, media, tag.size);
      this.socket.write(header);
      this.socket.write(tag.chunked);
      this.mediaMs = media;
      if (++this.index === tags.length) {
        this.index = 0;
        this.loop++;
      }
      if (this.socket.writableLength > QUEUE_LIMIT) break;
    }
    if (corked) this.socket.uncork();
  }
}

const connections = new Map<number, Connection>();

const tick = setInterval(() => {
  const now = performance.now();
  for (const c of connections.values()) c.pump(now);
}, TICK_MS);

const progress = setInterval(() => {
  const s: Array<[number, number, number]> = [];
  for (const c of connections.values()) if (c.publishing) s.push([c.id, c.mediaMs, c.queued]);
  emit({ ev: 'progress', t: Date.now(), s });
}, 1000);

const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  let cmd: { op?: string; id?: number; url?: string };
  try {
    cmd = JSON.parse(line) as typeof cmd;
  } catch {
    return;
  }
  const id = Number(cmd.id);
  if (cmd.op === 'add' && typeof cmd.url === 'string' && !connections.has(id)) {
    try {
      connections.set(id, new Connection(id, cmd.url));
    } catch (err) {
      emit({ ev: 'closed', id, reason: err instanceof Error ? err.message : String(err) });
    }
  } else if (cmd.op === 'remove') {
    connections.get(id)?.close('removed', false);
  }
});
input.on('close', () => {
  clearInterval(tick);
  clearInterval(progress);
  for (const c of [...connections.values()]) c.close('publisher stopping', false);
  process.exit(0);
});

emit({ ev: 'ready', durationMs: D, tags: tags.length });
