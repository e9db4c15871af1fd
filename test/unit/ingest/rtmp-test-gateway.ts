/** Test double of core's PublishGateway: records what an RTMP publisher delivered. */
import type { PublishDecision, PublishGateway, PublishRequest, PublishSession } from '../../../src/core/contracts.js';
import type { MediaFrame, TrackConfig } from '../../../src/media/frame.js';

export interface RecordedSession {
  req: PublishRequest;
  configs: TrackConfig[];
  /** frames without their payloads (kept: size, and whether the payload came in a recycled slab) */
  frames: (Omit<MediaFrame, 'data' | 'slab'> & { size: number; inSlab: boolean })[];
  endReasons: string[];
  kick: (reason: string) => void;
}

export class FakeGateway implements PublishGateway {
  readonly sessions: RecordedSession[] = [];
  readonly refused: PublishRequest[] = [];
  /** key -> refusal; any other key is accepted */
  readonly refusals = new Map<string, 'unknown-key' | 'disabled' | 'busy'>();

  async publish(req: PublishRequest, kick: (reason: string) => void): Promise<PublishDecision> {
    const refusal = this.refusals.get(req.key);
    if (refusal) {
      this.refused.push(req);
      return { ok: false, reason: refusal, message: `refused by test: ${refusal}` };
    }
    const rec: RecordedSession = { req, configs: [], frames: [], endReasons: [], kick };
    this.sessions.push(rec);
    const session: PublishSession = {
      streamId: `stream-${this.sessions.length}`,
      onConfig: (c) => rec.configs.push(c),
      onFrame: (f) => rec.frames.push({ track: f.track, codec: f.codec, dts: f.dts, pts: f.pts, keyframe: f.keyframe, size: f.data.length, inSlab: f.slab != null }),
      end: (reason) => rec.endReasons.push(reason),
    };
    return { ok: true, session };
  }
}

/** Polls `cond` every 20 ms until it holds or `ms` pass. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
