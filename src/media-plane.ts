/**
 * The media plane, wired: RTMP(S) ingest -> live sessions (lifecycle) -> hub -> LL-HLS packager ->
 * playback listener, plus SRT when built. Implements the LiveControl the REST API calls.
 */
import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import type { LiveControl } from './core/contracts.js';
import { LiveSessions, SILENT_PUBLISHER_MS, type LiveSession } from './core/live-sessions.js';
import type { Store } from './store/store.js';
import type { SegmentStore } from './store/segment-store.js';
import { SessionRecorder, type RecorderStore } from './media/recorder/session-recorder.js';
import { StoredMedia, mediaViewOf, type MediaView } from './playback/stored-media.js';
import { playbackFiles } from './playback/playback-files.js';
import { Thumbnailer } from './media/images/index.js';
import { clipSegments, type ClipRange } from './playback/vod-playlists.js';
import { recordingFailures, recordingBytes } from './media/recorder/recorder-metrics.js';
import { reportLiveSessions } from './core/live-metrics.js';
import { StreamHub, type LiveStream } from './core/live-stream.js';
import { RtmpServer } from './ingest/rtmp/rtmp-server.js';
import { SrtServer } from './ingest/srt/srt-server.js';
import { LivePackager } from './media/packager/index.js';
import { LadderTranscoder, TranscodeSlots, parseLadder, type LadderRung } from './media/transcoder/index.js';
import { SimulcastManager } from './media/simulcast/simulcast-manager.js';
import { reportSimulcast } from './media/simulcast/simulcast-metrics.js';
import { PlaybackServer, compileAccessCheck, createPlaybackTokenVerifier, importPublicKey, type PlaybackRoute } from './playback/index.js';
import type { ServerConfig } from './config.js';
import { Counter } from 'prom-client';
import { registry } from './metrics.js';
import type { MediaContext, MediaPlane } from './server.js';
import { isPostgresUrl } from './config.js';
import type { ClusterNode } from './cluster/cluster-node.js';
import { ClusterLiveControl, createClusterNode } from './cluster/cluster-plane.js';
import { EdgeProxy } from './cluster/edge-proxy.js';
import { OwnerWaits } from './cluster/owner-waits.js';
import { isUniqueViolation, retryTransient } from './store/db-retry.js';
import { newUuid } from './core/streams-ids.js';

/** A held playlist request waits this long for a stream's next owner (under hls.js's 10 s time to first byte). */
const HANDOFF_HOLD_MS = 8000;

/** An ended session's playlist (with EXT-X-ENDLIST) stays readable this long, so players see the end. */
const ENDED_LINGER_MS = 30_000;
/** The rendition name of the source (passthrough) packager. */
export const SOURCE = 'source';
/** The output name of a stream's ladder (its rungs attach under their own names, "720p", ...). */
export const TRANSCODER = 'transcoder';

function lingerMs(): number {
  const v = Number(process.env.ONAIR_ENDED_LINGER_MS ?? ENDED_LINGER_MS);
  return Number.isFinite(v) && v >= 0 ? v : ENDED_LINGER_MS;
}

const outputFailures = new Counter({
  name: 'onair_output_failures_total',
  help: 'Outputs of a live stream (packager, simulcast, recorder, SRT player) that threw and were detached',
  labelNames: ['output'] as const,
  registers: [registry],
});

export class MediaPlaneImpl implements LiveControl, MediaPlane {
  readonly hub: StreamHub;
  readonly sessions: LiveSessions;
  readonly playback: PlaybackServer;
  readonly rtmp: RtmpServer;
  readonly simulcast: SimulcastManager;
  readonly srt: SrtServer;
  private routes = new Map<string, PlaybackRoute>();
  private keys = new Map<string, KeyObject>();
  private readonly verifier;
  private readonly log: Logger;
  private readonly transcodeSlots: TranscodeSlots;
  private readonly ladderRungs: LadderRung[];

  private readonly stored: StoredMedia;
  private readonly thumbnailer: Thumbnailer;
  private readonly recorderStore: RecorderStore;
  /** VOD views of complete media (immutable once Ready), a small LRU */
  private readonly views = new Map<string, MediaView>();
  /** this node in a cluster on one Postgres (src/cluster/); undefined on SQLite */
  cluster: ClusterNode | undefined;
  private readonly edge = new EdgeProxy();
  private readonly ownerWaits = new OwnerWaits({
    ownerOf: async (streamId) => {
      const o = this.cluster ? await this.cluster.ownerOf(streamId, true) : undefined;
      return o ? { url: o.url, self: o.nodeId === this.cluster!.nodeId } : undefined;
    },
    isLocal: (streamId) => this.hub.get(streamId)?.readerOf(SOURCE) !== undefined,
    mayContinue: async (streamId) => {
      const s = await this.store.findStreamById(streamId);
      return s?.status === 'active' || s?.status === 'preparing';
    },
  });

  constructor(private readonly config: ServerConfig, private readonly store: Store, logger: Logger, private readonly segments?: SegmentStore) {
    this.stored = new StoredMedia(segments);
    this.thumbnailer = new Thumbnailer({ logger: logger.child({ module: 'images' }) });
    this.log = logger;
    // the recording's playback id plays (VOD, thumbnails) without waiting for another playback-id change
    this.recorderStore = recorderStoreOf(store, logger, () => this.playbackIdsChanged());
    this.transcodeSlots = new TranscodeSlots(config.maxTranscodes);
    this.ladderRungs = parseLadder(config.ladder);
    this.hub = new StreamHub({
      outputFailed: (streamId, output, err) => {
        outputFailures.inc({ output: output.split(':')[0] ?? output });
        this.log.error({ err, streamId, output }, 'an output of the live stream failed: detached (the publisher and other outputs continue)');
      },
    });
    const timeScale = Number(process.env.ONAIR_LIFECYCLE_TIME_SCALE ?? '1');
    this.simulcast = new SimulcastManager({ store, hub: this.hub, logger: logger.child({ module: 'simulcast' }) });
    reportSimulcast(this.simulcast);
    this.sessions = new LiveSessions({
      store,
      hub: this.hub,
      logger: logger.child({ module: 'sessions' }),
      timeScale: Number.isFinite(timeScale) && timeScale > 0 ? timeScale : 1,
      endedLingerMs: lingerMs(),
      onSessionStart: (streamId, owner) => this.attachOutputs(streamId, owner),
      // cluster: a session starts only where its row says so; its state and end are written for the other nodes
      ...(isPostgresUrl(config.database) ? {
        claim: (streamId: string, record: { reconnectWindow: number }) => this.cluster ? this.cluster.claim(streamId, record.reconnectWindow) : Promise.resolve({ ok: true as const }),
        onStateChange: (streamId: string, state: string) => {
          this.cluster?.sessionState(streamId, state).catch((err) => this.log.warn({ err, streamId }, 'could not write the session state'));
        },
        onSessionEnd: (streamId: string) => {
          this.cluster?.sessionEnded(streamId).catch((err) => this.log.warn({ err, streamId }, 'could not remove the session row'));
        },
      } : {}),
      // SRT tracks its own publishers natively; another protocol's publisher marks the stream busy in the
      // SRT listener's table so a second publisher over SRT is refused in its handshake (1409).
      onPublisher: (streamId, publishing, protocol) => {
        if (protocol !== 'srt') this.srt.setBusy(streamId, publishing);
      },
    });
    reportLiveSessions(this.sessions);
    this.verifier = createPlaybackTokenVerifier((kid) => this.keys.get(kid));
    this.playback = new PlaybackServer({
      port: config.playbackPort,
      host: config.host,
      logger: logger.child({ module: 'playback' }),
      resolve: (playbackId) => this.routes.get(playbackId),
      packagerFor: (streamId) => this.hub.get(streamId)?.readerOf(SOURCE) as LivePackager | undefined,
      renditionFor: (streamId, name) => this.hub.get(streamId)?.output<LadderTranscoder>(TRANSCODER)?.rendition(name),
      ladderFor: (streamId) => this.hub.get(streamId)?.output<LadderTranscoder>(TRANSCODER)?.renditionList(),
      verifyToken: (token, playbackId) => this.verifier(token, playbackId),
      storedMedia: this.stored,
      mediaView: (mediaId) => this.mediaView(mediaId),
      sessionHistory: (streamId) => this.hub.get(streamId)?.output<SessionRecorder>('recorder'),
      onClip: (route, range) => this.clipRequested(route, range),
      // cluster: a stream live on another node is proxied to its owner (media cached, playlists coalesced)
      // (and while the owner changes, playlist requests wait for the next owner: owner-waits.ts)
      remoteLive: async (streamId, local) => {
        const cluster = this.cluster;
        if (!cluster) return undefined;
        const owner = await cluster.ownerOf(streamId);
        const self = owner?.nodeId === cluster.nodeId;
        // no owner, or this node holds the session without media (adopted from a dead node for the reconnect
        // window): playlist requests wait for the encoder to come back here or elsewhere
        if ((!owner || self) && !(await this.ownerWaits.mayContinue(streamId))) return undefined;
        return (req, res) => this.edge.forward(self ? undefined : owner?.url, req, res, {
          holdMs: HANDOFF_HOLD_MS,
          next: (failed, deadline) => this.ownerWaits.next(streamId, failed, deadline),
          local,
        });
      },
      ...(segments ? {
        files: playbackFiles({
          segments, stored: this.stored, thumbnailer: this.thumbnailer, logger: logger.child({ module: 'images' }),
          packagerFor: (id) => this.hub.get(id)?.readerOf(SOURCE) as LivePackager | undefined,
          sessionHistory: (id) => this.hub.get(id)?.output<SessionRecorder>('recorder'),
          mediaView: (id) => this.mediaView(id),
          media: (id) => store.getMedia(id),
        }),
      } : {}),
      maxConnections: config.playbackMaxConnections,
      maxConnectionsPerAddress: config.playbackMaxConnectionsPerAddress,
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
      maxConnections: config.rtmpMaxConnections,
      maxConnectionsPerAddress: config.rtmpMaxConnectionsPerAddress,
      assemblyBudgetBytes: config.rtmpAssemblyBudgetMiB * 1024 * 1024,
      maxMessageBytes: config.rtmpMaxMessageKiB * 1024,
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

  private busySweep: NodeJS.Timeout | undefined;

  /** A silent RTMP publisher may be replaced (core's rule): its busy flag follows its silence. */
  private sweepBusy(): void {
    const now = Date.now();
    for (const s of this.sessions.list()) {
      if (!s.protocol || s.protocol === 'srt' || s.lastMediaAt === undefined) continue;
      const delivering = now - s.lastMediaAt < SILENT_PUBLISHER_MS;
      this.srt.setBusy(s.streamId, delivering);
    }
  }

  async start(): Promise<void> {
    this.busySweep = setInterval(() => this.sweepBusy(), 1000);
    this.busySweep.unref();
    await this.recoverRecordings();
    await Promise.all([this.playbackIdsChanged(), this.signingKeysChanged()]);
    await this.playback.listen();
    await this.rtmp.listen();
    if (this.config.srtListen !== false) await this.srt.listen(); // (false: a worker of `serve --workers N` but the first)
  }

  /** A session started: its outputs attach to the stream's owner, which releases them when it goes. */
  private attachOutputs(streamId: string, owner: LiveStream): void {
    const record = (owner.session as LiveSession).record;
    let recorder: SessionRecorder | undefined;
    const resume = (owner.session as LiveSession).resume;
    if (this.segments && (record.enableRecording || record.enableDvrMode)) {
      const resumeMedia = resume?.mediaId;
      recorder = new SessionRecorder({
        streamId, record: record.enableRecording, dvr: record.enableDvrMode, store: this.recorderStore, segments: this.segments,
        logger: this.log, onWrite: (n) => recordingBytes.inc(n), onFailure: () => recordingFailures.inc(),
        // a session taken over from another node continues its recording (one media)
        ...(resumeMedia && record.enableRecording ? {
          resume: {
            mediaId: resumeMedia,
            load: async (rendition) => {
              const rows = await this.store.listMediaSegments(resumeMedia, rendition);
              return { nextSeq: rows.length ? rows[rows.length - 1]!.seq + 1 : 0, durationS: rows.reduce((t, r) => t + r.durationS, 0) };
            },
          },
        } : {}),
      });
    }
    // 200 ms parts: six frames at 30 fps, five parts to a 1 s segment (an even split keeps PART-HOLD-BACK low).
    const packager = new LivePackager({
      partTargetMs: 200,
      ...(resume?.nextMsn !== undefined ? { firstMsn: resume.nextMsn } : {}),
      ...(resume ? { continuesAfter: { discontinuities: resume.discontinuities } } : {}),
      // program date times go on from where the old owner's media ended (players align on them: no hole)
      ...(resume?.programDateTimeMs !== undefined ? { now: continuedClock(resume.programDateTimeMs) } : {}),
      logger: this.log.child({ streamId }),
      ...(recorder ? { onSegment: (seg) => recorder.onSegment(seg), onInit: (id, bytes) => recorder.onInit(id, bytes) } : {}),
    });
    recorder?.rendition(SOURCE, () => packager.variantInfo());
    owner.attach(SOURCE, {
      end: () => {
        packager.end();
        recorder?.end();
      },
      close: () => packager.dispose(), // the window's memory goes back for reuse (slab-pool.ts)
    }, {
      onConfig: (c) => {
        packager.onConfig(c);
        recorder?.onConfig(c);
      },
      onFrame: (f) => packager.onFrame(f),
      onDiscontinuity: () => packager.discontinuity(),
    }, packager);
    // after the packager: the session's end flushes the packager's last segment into the recorder, then completes it
    if (recorder) owner.attach('recorder', recorder);
    this.simulcast.sessionStarted(streamId);
    owner.attach('simulcast', {
      end: () => this.simulcast.sessionEnded(streamId),
      close: () => this.simulcast.sessionEnded(streamId),
    });
    // The ladder (--transcode on): one ffmpeg child, its rungs attach as their own renditions; the source never waits for it.
    if (this.config.transcode !== 'off') {
      const ladder = new LadderTranscoder({
        streamId, maxResolution: record.maxResolution, ladder: this.ladderRungs, owner, source: packager,
        slots: this.transcodeSlots, logger: this.log.child({ streamId, module: 'ladder' }), partTargetMs: 200,
        // every rung is recorded (and kept for DVR) into the session's media, under its own name (the recorder
        // reads the rung's description while it is there, without keeping a replaced packager alive)
        ...(recorder ? {
          recordRung: (name: string, rung: LivePackager) => {
            const ref = new WeakRef(rung);
            return recorder.rendition(name, () => ref.deref()?.variantInfo());
          },
        } : {}),
      });
      owner.attach(TRANSCODER, ladder, ladder);
    }
  }

  /** A media's VOD view from its manifest (cached once complete). */
  private async mediaView(mediaId: string): Promise<MediaView | undefined> {
    const hit = this.views.get(mediaId);
    if (hit) return hit;
    const media = await this.store.getMedia(mediaId);
    if (!media) return undefined;
    // every rendition (the source and the ladder's rungs), laid on the source's timeline (stored-media.ts)
    const view = mediaViewOf(media, await this.store.listMediaSegments(mediaId));
    if (view.ended) {
      this.views.set(mediaId, view);
      if (this.views.size > 500) this.views.delete(this.views.keys().next().value!);
    }
    return view;
  }

  /**
   * The first request for a clip range makes it a clip media (listed by live-clips, announced by webhooks):
   * its segments are copied under the clip's own prefix (a clip outlives the deletion of its source), then it
   * is complete.
   */
  private clipRequested(route: PlaybackRoute, range: ClipRange): void {
    const recorder = route.mediaId ? undefined : this.hub.get(route.streamId)?.output<SessionRecorder>('recorder');
    const sourceMediaId = route.mediaId ?? recorder?.mediaId;
    const segments = this.segments;
    if (!sourceMediaId || !segments) return;
    const work = async () => {
      const made = await this.store.createClipMedia({ streamId: route.streamId, sourceMediaId, startS: range.startS, endS: range.endS });
      if (!made?.created) return;
      const clipId = made.media.mediaId;
      await this.playbackIdsChanged(); // the clip's playback id plays at once (EVENT until complete)
      // every rendition (the source and the ladder's rungs) from the session's stored history or the media's view;
      // positions (`n`) are shared by the renditions of one source, so the clip's view lines them up again
      type Picked = { key: string; initKey: string; durationS: number; discontinuity: boolean; programDateTime?: number; n: number };
      const renditions: { name: string; picked: Picked[] }[] = [];
      if (recorder) {
        for (const name of recorder.renditionNames()) {
          const h = recorder.historyOf(name);
          if (h) renditions.push({ name, picked: clipSegments(h.segments, range).map((x) => ({ ...x, initKey: h.initKey(x.initN) ?? '' })) });
        }
      } else {
        const view = await this.mediaView(sourceMediaId);
        for (const r of view?.renditions ?? []) {
          renditions.push({ name: r.name, picked: clipSegments(r.segments, range).filter((x) => !x.gap).map((x) => ({ ...x, initKey: r.initKeys.get(x.initN) ?? '' })) });
        }
      }
      const copy = async (name: string, picked: Picked[]): Promise<number> => {
        const inits = new Map<string, string>();
        let total = 0;
        for (const [seq, x] of picked.entries()) {
          let initKey = inits.get(x.initKey);
          if (!initKey) {
            initKey = `media/${clipId}/${name}/init-${inits.size}.mp4`;
            const bytes = await segments.get(x.initKey);
            if (!bytes) throw new Error(`init segment ${x.initKey} of the source is missing`);
            await segments.put(initKey, bytes);
            inits.set(x.initKey, initKey);
          }
          const bytes = await segments.get(x.key);
          if (!bytes) throw new Error(`segment ${x.key} of the source is missing`);
          const key = `media/${clipId}/${name}/seg-${seq}.m4s`;
          await segments.put(key, bytes);
          await this.store.addMediaSegment({
            mediaId: clipId, rendition: name, seq, msn: x.n, durationS: x.durationS, key, size: bytes.length,
            discontinuity: seq > 0 && x.discontinuity, initKey,
            ...(x.programDateTime !== undefined ? { programDateTime: new Date(x.programDateTime).toISOString() } : {}),
          });
          total += x.durationS;
        }
        return total;
      };
      // the source must copy whole; a rung that cannot is left out of the clip (logged), the clip still plays
      const primary = renditions.find((r) => r.name === SOURCE) ?? renditions[0];
      const total = primary ? await copy(primary.name, primary.picked) : 0;
      const copied = new Set(primary ? [primary.name] : []);
      for (const r of renditions) {
        if (r === primary || r.picked.length === 0) continue;
        try {
          await copy(r.name, r.picked);
          copied.add(r.name);
        } catch (err) {
          this.log.warn({ err, clipId, rendition: r.name }, 'a rendition of the clip could not be copied: the clip has the others');
        }
      }
      const source = await this.store.getMedia(sourceMediaId);
      const described = source?.renditions?.length ? source.renditions : recorder?.renditionsSoFar() ?? [];
      await this.store.completeMedia(clipId, {
        durationS: total,
        ...(source?.sourceResolution ? { sourceResolution: source.sourceResolution } : {}),
        ...(source?.tracks ? { tracks: source.tracks } : {}),
        renditions: described.filter((r) => copied.has(r.name)),
      });
      this.views.delete(clipId);
      this.log.info({ clipId, streamId: route.streamId, sourceMediaId, startS: range.startS, endS: range.endS, durationS: total }, 'clip media ready');
    };
    work().catch((err) => this.log.error({ err, streamId: route.streamId }, 'could not make the clip media'));
  }

  /** Recordings a crash left unfinished are completed from what was stored, and announced ready. */
  private async recoverRecordings(): Promise<void> {
    // in a cluster, recordings of sessions other nodes hold (or will adopt) are theirs to complete
    // (by stream too: a session's row names its media only from its next heartbeat on)
    const held = this.cluster
      ? new Set((await this.store.db.selectFrom('live_sessions').select(['media_id', 'stream_id']).execute()).flatMap((r) => [r.media_id, r.stream_id]))
      : new Set<string | null>();
    for (const m of await this.store.listIncompleteMedia()) {
      if (m.kind !== 'recording' || held.has(m.mediaId) || (m.streamId !== undefined && held.has(m.streamId))) continue;
      try {
        await this.store.completeMediaFromManifest(m.mediaId);
        this.log.warn({ mediaId: m.mediaId, streamId: m.streamId }, 'completed a recording left unfinished by a crash');
      } catch (err) {
        this.log.error({ err, mediaId: m.mediaId }, 'could not complete a recording left by a crash');
      }
    }
  }

  // ---- LiveControl (called by the REST API after it committed a change) ----

  finish(streamId: string): Promise<void> {
    return this.sessions.finish(streamId);
  }

  async kick(streamId: string, reason: 'disabled' | 'deleted'): Promise<void> {
    await this.sessions.kick(streamId, reason);
    if (reason === 'deleted') await this.playbackIdsChanged();
  }

  /** A media was deleted: a recording still being written stops, and its cached view goes. */
  async mediaDeleted(mediaId: string): Promise<void> {
    this.views.delete(mediaId);
    for (const s of this.hub.all()) {
      const r = s.output<SessionRecorder>('recorder');
      if (r?.mediaId === mediaId) r.abandon();
    }
    await this.playbackIdsChanged();
  }

  viewerCount(streamId: string): number {
    return this.playback.viewerCount(streamId);
  }

  viewerHashes(streamId: string): Buffer {
    return this.playback.viewerHashes(streamId);
  }

  viewedStreams(): string[] {
    return this.playback.viewedStreams();
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
    for (const r of await this.store.listMediaPlaybackIds()) {
      const route: PlaybackRoute = { streamId: r.streamId ?? '', accessPolicy: r.accessPolicy, mediaId: r.mediaId };
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
    if (this.busySweep) clearInterval(this.busySweep);
    this.ownerWaits.close();
    await this.cluster?.stop().catch((err) => this.log.warn({ err }, 'cluster stop failed'));
    await this.rtmp.close();
    await this.srt.close();
    await this.sessions.close();
    await this.simulcast.close();
    await this.playback.close();
    this.hub.releaseAll();
    this.thumbnailer.close();
    this.edge.close();
  }
}

/** A wall clock that reads `startMs` at its first call and runs on from there. */
function continuedClock(startMs: number): () => number {
  let shift: number | undefined;
  return () => {
    const now = Date.now();
    shift ??= now - startMs;
    return now - shift;
  };
}

/** The `hooks.media` of startServer. */
export async function startMediaPlane(ctx: MediaContext): Promise<MediaPlane> {
  const plane = new MediaPlaneImpl(ctx.config, ctx.store, ctx.logger, ctx.segments);
  if (isPostgresUrl(ctx.config.database)) {
    // a cluster on one Postgres: the node registers before any publisher is accepted
    // (a worker of `serve --workers N`: the other nodes reach it on a playback listener of its own)
    const own = ctx.config.internalListen && await plane.playback.listenOwn(ctx.config.internalListen.port, ctx.config.internalListen.host);
    const config = own ? { ...ctx.config, internalUrl: ctx.config.internalUrl ?? `http://${own.address}:${own.port}` } : ctx.config;
    const node = createClusterNode(config, ctx.store, ctx.logger, () => ({ hub: plane.hub, sessions: plane.sessions, local: plane, source: SOURCE }));
    plane.cluster = node;
    await node.start();
    await plane.start();
    return { liveControl: new ClusterLiveControl(plane, node), close: () => plane.close() };
  }
  await plane.start();
  return { liveControl: plane, close: () => plane.close() };
}

/**
 * The recorder's database writes. A database away for a while (Postgres restarted, a failover) delays them instead
 * of failing the recording: transient errors are retried with backoff (the recorder's pending-bytes bound holds what
 * waits meanwhile). The media is created under an id chosen before the first try, so a retry after a lost
 * acknowledgement finds its own row (a unique violation) and never makes a second media or a second
 * `video.media.created`.
 */
export function recorderStoreOf(store: Store, log: Logger, routesChanged: () => Promise<void>): RecorderStore {
  return {
    createRecordingMedia: async (streamId) => {
      const mediaId = newUuid();
      let landed = false;
      const m = await retryTransient(() => store.createRecordingMedia(streamId, mediaId), {
        logger: log, what: `the recording media of stream ${streamId}`, landedBefore: (err) => (landed = isUniqueViolation(err)),
      });
      if (!m && !landed) throw new Error(`stream ${streamId} no longer exists`);
      await retryTransient(() => store.markMediaProcessing(mediaId), { logger: log, what: `the recording media ${mediaId}` });
      await routesChanged().catch((err) => log.warn({ err }, 'playback routes refresh failed'));
      return mediaId;
    },
    addMediaSegment: async (row) => {
      await retryTransient(() => store.addMediaSegment(row), { logger: log, what: `recording manifest of ${row.mediaId}`, landedBefore: isUniqueViolation });
    },
    completeMedia: async (id, c) => {
      await retryTransient(() => store.completeMedia(id, c), { logger: log, what: `completing the recording ${id}` });
    },
    failMedia: async (id, reason) => {
      await retryTransient(() => store.failMedia(id, reason), { logger: log, what: `failing the recording ${id}` });
    },
  };
}
