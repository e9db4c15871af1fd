/**
 * The media plane, wired: RTMP(S) ingest -> live sessions (lifecycle) -> hub -> LL-HLS packager ->
 * playback listener, plus SRT when built. Implements the LiveControl the REST API calls.
 */
import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { LiveControl, MediaStore } from './core/contracts.js';
import { LiveSessions, SILENT_PUBLISHER_MS } from './core/live-sessions.js';
import { reportLiveSessions } from './core/live-metrics.js';
import { StreamHub } from './core/stream-hub.js';
import { RtmpServer } from './ingest/rtmp/rtmp-server.js';
import { SrtServer } from './ingest/srt/srt-server.js';
import { LivePackager } from './media/packager/index.js';
import { SimulcastManager } from './media/simulcast/simulcast-manager.js';
import { reportSimulcast } from './media/simulcast/simulcast-metrics.js';
import { PlaybackServer, compileAccessCheck, createPlaybackTokenVerifier, importPublicKey, type PlaybackRoute } from './playback/index.js';
import type { ServerConfig } from './config.js';
import type { MediaContext, MediaPlane } from './server.js';

/** An ended session's playlist (with EXT-X-ENDLIST) stays readable this long, so players see the end. */
const ENDED_PACKAGER_TTL_MS = 30_000;

export class MediaPlaneImpl implements LiveControl, MediaPlane {
  readonly hub = new StreamHub();
  readonly sessions: LiveSessions;
  readonly playback: PlaybackServer;
  readonly rtmp: RtmpServer;
  readonly simulcast: SimulcastManager;
  readonly srt: SrtServer;
  private readonly packagers = new Map<string, LivePackager>();
  private readonly endedTimers = new Map<string, NodeJS.Timeout>();
  private routes = new Map<string, PlaybackRoute>();
  private keys = new Map<string, KeyObject>();
  private readonly verifier;
  private readonly log: Logger;

  constructor(private readonly config: ServerConfig, private readonly store: MediaStore, logger: Logger) {
    this.log = logger;
    const timeScale = Number(process.env.ONAIR_LIFECYCLE_TIME_SCALE ?? '1');
    this.simulcast = new SimulcastManager({ store, hub: this.hub, logger: logger.child({ module: 'simulcast' }) });
    reportSimulcast(this.simulcast);
    this.sessions = new LiveSessions({
      store,
      hub: this.hub,
      logger: logger.child({ module: 'sessions' }),
      timeScale: Number.isFinite(timeScale) && timeScale > 0 ? timeScale : 1,
      onSessionStart: (streamId) => {
        this.startPackager(streamId);
        this.simulcast.sessionStarted(streamId);
      },
      onSessionEnd: (streamId) => {
        this.endPackager(streamId);
        this.simulcast.sessionEnded(streamId);
      },
    });
    reportLiveSessions(this.sessions);
    this.verifier = createPlaybackTokenVerifier((kid) => this.keys.get(kid));
    this.playback = new PlaybackServer({
      port: config.playbackPort,
      host: config.host,
      logger: logger.child({ module: 'playback' }),
      resolve: (playbackId) => this.routes.get(playbackId),
      packagerFor: (streamId) => this.packagers.get(streamId),
      verifyToken: (token, playbackId) => this.verifier(token, playbackId),
    });
    const tls = config.tlsCert && config.tlsKey
      ? { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey), port: config.rtmpsPort }
      : undefined;
    this.rtmp = new RtmpServer({
      gateway: this.sessions,
      logger: logger.child({ module: 'rtmp' }),
      port: config.rtmpPort,
      host: config.host,
      ...(tls ? { tls } : {}),
    });
    this.srt = new SrtServer({
      port: config.srtPort,
      host: config.host,
      logger: logger.child({ module: 'srt' }),
      gateway: this.sessions,
      hub: this.hub,
      credentials: () => store.listSrtCredentials(),
      // the handshake lets a newcomer in exactly when core would replace the silent publisher
      publisherStaleMs: SILENT_PUBLISHER_MS,
    });
  }

  async start(): Promise<void> {
    await Promise.all([this.playbackIdsChanged(), this.signingKeysChanged()]);
    await this.playback.listen();
    await this.rtmp.listen();
    await this.srt.listen();
  }

  private startPackager(streamId: string): void {
    const t = this.endedTimers.get(streamId);
    if (t) clearTimeout(t);
    this.endedTimers.delete(streamId);
    // 200 ms parts: six frames at 30 fps, five parts to a 1 s segment (an even split keeps PART-HOLD-BACK low).
    const packager = new LivePackager({ partTargetMs: 200 });
    this.packagers.set(streamId, packager);
    this.hub.subscribe(streamId, {
      onConfig: (c) => packager.onConfig(c),
      onFrame: (f) => packager.onFrame(f),
      onDiscontinuity: () => packager.discontinuity(),
      onEnd: () => packager.end(),
    });
  }

  private endPackager(streamId: string): void {
    const packager = this.packagers.get(streamId);
    if (!packager) return;
    const timer = setTimeout(() => {
      this.endedTimers.delete(streamId);
      if (this.packagers.get(streamId) === packager) this.packagers.delete(streamId);
    }, ENDED_PACKAGER_TTL_MS);
    timer.unref();
    this.endedTimers.set(streamId, timer);
  }

  // ---- LiveControl (called by the REST API after it committed a change) ----

  finish(streamId: string): Promise<void> {
    return this.sessions.finish(streamId);
  }

  async kick(streamId: string, reason: 'disabled' | 'deleted'): Promise<void> {
    await this.sessions.kick(streamId, reason);
    if (reason === 'deleted') {
      this.packagers.delete(streamId);
      await this.playbackIdsChanged();
    }
  }

  viewerCount(streamId: string): number {
    return this.playback.viewerCount(streamId);
  }

  async playbackIdsChanged(): Promise<void> {
    const rows = await this.store.listPlaybackIds();
    // Restrictions are compiled here, once per refresh, so the listener's per-request check stays cheap.
    const routes = new Map<string, PlaybackRoute>();
    for (const r of rows) {
      const route: PlaybackRoute = { streamId: r.streamId, accessPolicy: r.accessPolicy };
      const access = compileAccessCheck(r.accessRestrictions);
      if (access) route.access = access;
      routes.set(r.playbackId, route);
    }
    this.routes = routes;
  }

  async streamChanged(streamId: string): Promise<void> {
    // A new stream comes with a playback id; a deleted one takes its ids along. RTMP asks the store at
    // publish time; the SRT listener answers handshakes from memory, so its credential table follows.
    await Promise.all([this.playbackIdsChanged(), this.srt.refreshCredentials(streamId)]);
  }

  async signingKeysChanged(): Promise<void> {
    const rows = await this.store.listSigningPublicKeys();
    const keys = new Map<string, KeyObject>();
    for (const r of rows) {
      try {
        keys.set(r.id, importPublicKey(r.publicKey));
      } catch (err) {
        this.log.error({ err, kid: r.id }, 'unreadable signing key');
      }
    }
    this.keys = keys;
    this.verifier.clear();
  }

  simulcastChanged(streamId: string): Promise<void> {
    return this.simulcast.targetsChanged(streamId);
  }

  async close(): Promise<void> {
    await this.rtmp.close();
    await this.srt.close();
    await this.sessions.close();
    await this.simulcast.close();
    await this.playback.close();
    for (const t of this.endedTimers.values()) clearTimeout(t);
  }
}

/** The `hooks.media` of startServer. */
export async function startMediaPlane(ctx: MediaContext): Promise<MediaPlane> {
  const plane = new MediaPlaneImpl(ctx.config, ctx.store, ctx.logger);
  await plane.start();
  return { liveControl: plane, close: () => plane.close() };
}
