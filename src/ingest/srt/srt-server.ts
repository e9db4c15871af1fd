/** The SRT listener: libsrt (native addon) answers handshakes from memory; publishers and viewers get sessions. */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { LiveHub, PublishGateway } from '../../core/contracts.js';
import type { FrameSink } from '../../media/frame.js';
import { TsDemuxer } from '../../protocols/mpegts/ts-demuxer.js';
import {
  loadSrtAddon,
  type NativeControlEvent,
  type NativeListenerOptions,
  type NativeSrtListener,
  type NativeSrtStats,
} from './native.js';
import { SrtCredentials, type SrtCredentialLoader } from './srt-credentials.js';
import { SrtPlayer } from './srt-player.js';
import { SrtPublisher, type SrtDemuxer } from './srt-publisher.js';
import { rejectReasonName, type SrtRejectReason } from './srt-reject-reasons.js';

export interface SrtServerOptions extends Omit<NativeListenerOptions, 'host' | 'port'> {
  /** UDP port (778 by contract; 0 = any free port) */
  port: number;
  host?: string;
  logger: Logger;
  gateway: PublishGateway;
  hub: LiveHub;
  /** MediaStore.listSrtCredentials, bound */
  credentials: SrtCredentialLoader;
  /** the MPEG-TS demuxer for publishers (default TsDemuxer) */
  demuxer?: (sink: FrameSink) => SrtDemuxer;
}

export interface SrtRejectEvent {
  code: number;
  reason: SrtRejectReason;
  /** the caller's raw streamid */
  streamId: string;
  peer: string;
}

export interface SrtSessionInfo {
  socket: number;
  mode: 'publish' | 'request';
  /** the stream published or played */
  streamId: string;
  peer: string;
  stats: NativeSrtStats | undefined;
}

/** Events: 'reject' (SrtRejectEvent), 'accept' / 'close' ({ socket, mode, streamId, peer, reason? }). */
export class SrtServer extends EventEmitter {
  private listener: NativeSrtListener | undefined;
  private credentials: SrtCredentials | undefined;
  private readonly publishers = new Map<number, SrtPublisher>();
  private readonly players = new Map<number, SrtPlayer>();
  private readonly info = new Map<number, Omit<SrtSessionInfo, 'stats'>>();
  private readonly log: Logger;
  private refreshing: Promise<void> = Promise.resolve();

  constructor(private readonly opts: SrtServerOptions) {
    super();
    this.log = opts.logger.child({ component: 'srt' });
  }

  /** Binds the UDP port and loads the credential table. */
  async listen(): Promise<void> {
    const { SrtListener } = loadSrtAddon();
    const { logger: _l, gateway: _g, hub: _h, credentials: _c, demuxer: _d, ...native } = this.opts;
    this.listener = new SrtListener({ ...native, host: this.opts.host ?? '0.0.0.0', port: this.opts.port }, (control, index, data) =>
      this.onEvents(control, index, data),
    );
    this.credentials = new SrtCredentials(this.listener);
    try {
      await this.refreshCredentials();
    } catch (err) {
      this.listener.shutdown();
      this.listener = undefined;
      throw err;
    }
    this.log.info(this.address(), 'srt listening');
  }

  address(): { host: string; port: number } {
    return { host: this.opts.host ?? '0.0.0.0', port: this.listener?.port() ?? 0 };
  }

  /** Reloads every credential from the store (a stream was created, enabled, disabled or deleted). */
  refreshCredentials(_streamId?: string): Promise<void> {
    // The store lists all rows at once; calls are serialized so an older list never overwrites a newer one.
    const next = this.refreshing.then(async () => {
      const rows = await this.opts.credentials();
      this.credentials?.sync(rows);
    });
    this.refreshing = next.catch(() => undefined);
    return next;
  }

  /** Another ingest (RTMP) holds the stream: SRT publishers are refused with SRT_REJX_CONFLICT meanwhile. */
  setBusy(streamId: string, busy: boolean): void {
    this.listener?.setBusy(streamId, busy);
  }

  sessions(): SrtSessionInfo[] {
    return [...this.info.values()].map((s) => ({ ...s, stats: this.listener?.stats(s.socket) }));
  }

  /** Frees the port; publishers' sessions end, viewers are dropped. */
  async close(): Promise<void> {
    const listener = this.listener;
    if (!listener) return;
    this.listener = undefined;
    listener.shutdown();
    for (const socket of [...this.info.keys()]) this.closed(socket, 'server closing');
    await this.refreshing;
  }

  private onEvents(control: NativeControlEvent[], index: Int32Array, data: Buffer): void {
    try {
      // Per socket within a batch: accept, then data, then close.
      for (const ev of control) if (ev.type === 'accept') this.accepted(ev.socket, ev.id, ev.mode, ev.peer);
      for (let i = 0; i < index.length; i += 3) {
        const socket = index[i]!;
        const chunk = data.subarray(index[i + 1]!, index[i + 1]! + index[i + 2]!);
        this.publishers.get(socket)?.data(chunk);
      }
      for (const ev of control) {
        if (ev.type === 'close') this.closed(ev.socket, ev.reason);
        else if (ev.type === 'reject') this.rejected(ev.code, ev.streamId, ev.peer);
      }
    } catch (err) {
      this.log.error({ err }, 'srt event handling failed');
    }
  }

  private accepted(socket: number, id: string, mode: 'publish' | 'request', peer: string): void {
    const listener = this.listener;
    if (!listener) return;
    const closeSocket = (reason: string): void => listener.close(socket, reason);
    if (this.log.isLevelEnabled('debug')) {
      // what the caller negotiated: its stream id (the publish id, or the playback id it requests) and the TSBPD latency
      const st = listener.stats(socket);
      this.log.debug({ socket, mode, srtStreamId: id, peer, latencyMs: st ? (mode === 'publish' ? st.msRcvTsbPdDelay : st.msSndTsbPdDelay) : undefined, rttMs: st?.msRTT }, 'srt caller accepted');
    }
    if (mode === 'publish') {
      const publisher = new SrtPublisher({
        socket,
        streamId: id,
        peer,
        gateway: this.opts.gateway,
        logger: this.log,
        demuxer: this.opts.demuxer ?? ((sink) => new TsDemuxer(sink)),
        closeSocket,
      });
      this.publishers.set(socket, publisher);
      this.info.set(socket, { socket, mode, streamId: id, peer });
      this.emit('accept', { socket, mode, streamId: id, peer });
      publisher.start();
      return;
    }
    const streamId = this.credentials?.streamForPlayback(id);
    if (!streamId) {
      closeSocket('unknown playback id');
      return;
    }
    const player = new SrtPlayer({
      socket,
      streamId,
      peer,
      hub: this.opts.hub,
      logger: this.log,
      send: (buf) => listener.send(socket, buf),
      closeSocket,
    });
    this.players.set(socket, player);
    this.info.set(socket, { socket, mode, streamId, peer });
    this.emit('accept', { socket, mode, streamId, peer });
    player.start();
  }

  private closed(socket: number, reason: string): void {
    const info = this.info.get(socket);
    if (!info) return;
    this.info.delete(socket);
    this.publishers.get(socket)?.onClosed(reason);
    this.publishers.delete(socket);
    this.players.get(socket)?.onClosed(reason);
    this.players.delete(socket);
    this.emit('close', { ...info, reason });
  }

  private rejected(code: number, streamId: string, peer: string): void {
    const ev: SrtRejectEvent = { code, reason: rejectReasonName(code), streamId, peer };
    this.log.info(ev, 'srt caller rejected');
    this.emit('reject', ev);
  }
}
