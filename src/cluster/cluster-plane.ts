/**
 * Plugs a media plane into a cluster on one Postgres: registers the node, reports its sessions at each
 * heartbeat, hands sessions over to the node an encoder reconnected to, stops serving sessions whose lease
 * another node holds, and applies other nodes' API changes. On SQLite there is no cluster (one node, no bus).
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import type { LiveControl } from '../core/contracts.js';
import type { LiveSessions } from '../core/live-sessions.js';
import type { StreamHub } from '../core/live-stream.js';
import type { LivePackager } from '../media/packager/index.js';
import type { SessionRecorder } from '../media/recorder/session-recorder.js';
import type { Store } from '../store/store.js';
import { ClusterNode, type LocalSessionState } from './cluster-node.js';
import { ClusterLiveControl, applyClusterMessage } from './cluster-live-control.js';

export interface ClusterPlaneParts {
  hub: StreamHub;
  sessions: LiveSessions;
  /** the media plane's own LiveControl (acts on this node only) */
  local: LiveControl;
  /** the source packager's output name */
  source: string;
}

/** The URL other nodes reach this node's playback listener at. */
export function internalUrlOf(config: ServerConfig, playbackPort = config.playbackPort): string {
  if (config.internalUrl) return config.internalUrl.replace(/\/+$/, '');
  const host = config.host === '0.0.0.0' || config.host === '::' ? hostname() : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${playbackPort}`;
}

/** The continuation state of a local session, as the next owner needs it. */
export function localSessionState(parts: ClusterPlaneParts, streamId: string): LocalSessionState | undefined {
  const live = parts.hub.get(streamId);
  const session = parts.sessions.session(streamId);
  if (!live || !session) return undefined;
  const s: LocalSessionState = { state: session.state };
  const packager = live.readerOf(parts.source) as LivePackager | undefined;
  if (packager) {
    s.nextMsn = packager.lastMsn + 1;
    // The next owner's media starts at the end of the last complete segment, not at the open segment's newest part:
    // a viewer holds the parts of the open segment up to some point, and hls.js finds where to go on by the date
    // its last fragment ends at, which must fall inside the new owner's first segment (a date past it is a hole it
    // never leaves: no fragment of the old discontinuity is in the new owner's playlist to fall back on).
    const pl = packager.playlistModel();
    const last = pl.segments[pl.segments.length - 1];
    if (last?.programDateTime !== undefined) s.pdtEndMs = last.programDateTime + last.duration * 1000;
    else if (pl.open?.programDateTime !== undefined) s.pdtEndMs = pl.open.programDateTime;
  }
  const timeline = session.rebaser.timeline;
  if (Number.isFinite(timeline)) s.timelineDts = timeline;
  const recorder = live.output<SessionRecorder>('recorder');
  if (recorder?.mediaId) s.mediaId = recorder.mediaId;
  return s;
}

export function createClusterNode(config: ServerConfig, store: Store, logger: Logger, parts: () => ClusterPlaneParts): ClusterNode {
  const timeScale = Number(process.env.ONAIR_LIFECYCLE_TIME_SCALE ?? '1');
  const stopHere = async (streamId: string, reason: string): Promise<LocalSessionState | undefined> => {
    const p = parts();
    const state = localSessionState(p, streamId);
    const recorder = p.hub.get(streamId)?.output<SessionRecorder>('recorder');
    const flushed = recorder?.handOver();
    p.sessions.release(streamId, reason);
    await flushed;
    return state;
  };
  return new ClusterNode({
    databaseUrl: config.database,
    store,
    logger,
    name: config.nodeName,
    internalUrl: internalUrlOf(config),
    leaseMs: config.nodeLeaseMs,
    heartbeatMs: config.nodeHeartbeatMs,
    timeScale: Number.isFinite(timeScale) && timeScale > 0 ? timeScale : 1,
    localSessions: () => {
      const p = parts();
      const out = new Map<string, LocalSessionState>();
      for (const s of p.sessions.list()) {
        const st = localSessionState(p, s.streamId);
        if (st) out.set(s.streamId, st);
      }
      return out;
    },
    lost: (streamId) => { void stopHere(streamId, 'another node holds the session'); },
    release: (streamId) => stopHere(streamId, 'the encoder reconnected to another node'),
    message: (msg) => applyClusterMessage(parts().local, msg),
    viewers: () => {
      const l = parts().local;
      const out = new Map<string, Buffer>();
      if (l.viewerHashes && l.viewedStreams) for (const id of l.viewedStreams()) out.set(id, l.viewerHashes(id));
      return out;
    },
    resync: () => {
      const l = parts().local;
      Promise.all([l.playbackIdsChanged(), l.signingKeysChanged(), l.streamChanged('')]).catch((err) => logger.warn({ err }, 'cluster resync failed'));
    },
  });
}

export { ClusterLiveControl };
