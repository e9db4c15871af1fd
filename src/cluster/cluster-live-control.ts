/**
 * The LiveControl the REST API calls on a node of a cluster: any node answers any request. Session actions
 * (finish, disable, delete) run where the session lives: locally, or on its owner through the bus (waiting for
 * its answer, so the API replies after the change took effect). Cache refreshes (playback ids, credentials,
 * signing keys, simulcast targets, deleted media) run locally and on every other node.
 */
import type { LiveControl } from '../core/contracts.js';
import type { BusMessage } from './pg-bus.js';
import type { ClusterNode } from './cluster-node.js';
import { unionCount } from '../playback/viewer-counter.js';

/** How long the API waits for the owning node to act on finish/disable/delete. */
const OWNER_ANSWER_MS = 5000;

export class ClusterLiveControl implements LiveControl {
  constructor(private readonly local: LiveControl, private readonly node: ClusterNode) {}

  /** The owning node's id when another live node holds the stream's session. */
  private async remoteOwner(streamId: string): Promise<string | undefined> {
    const owner = await this.node.ownerOf(streamId, true);
    return owner && owner.nodeId !== this.node.nodeId ? owner.nodeId : undefined;
  }

  async finish(streamId: string): Promise<void> {
    const remote = await this.remoteOwner(streamId);
    if (remote) {
      await this.node.command(remote, streamId, 'finish', OWNER_ANSWER_MS);
      return;
    }
    if (this.node.holdsOrphan(streamId)) {
      await this.node.endOrphan(streamId, 'idle');
      return;
    }
    await this.local.finish(streamId);
  }

  async kick(streamId: string, reason: 'disabled' | 'deleted'): Promise<void> {
    const remote = await this.remoteOwner(streamId);
    if (this.node.holdsOrphan(streamId)) await this.node.endOrphan(streamId, 'none');
    await this.local.kick(streamId, reason);
    if (remote) await this.node.command(remote, streamId, `kick:${reason}`, OWNER_ANSWER_MS);
    // everyone else drops what lingers of the stream and refreshes its routes
    await this.node.broadcast({ type: 'kick', streamId, reason });
  }

  /** Distinct viewers over every node: ours and the other nodes' as of the last heartbeat, a viewer seen by several once. */
  viewerCount(streamId: string): number {
    const others = this.node.viewersOnOtherNodes(streamId);
    if (!others || !this.local.viewerHashes) return this.local.viewerCount(streamId);
    return unionCount(this.local.viewerHashes(streamId), others);
  }

  async playbackIdsChanged(): Promise<void> {
    await this.local.playbackIdsChanged();
    await this.node.broadcast({ type: 'playback-ids' });
  }

  async streamChanged(streamId: string): Promise<void> {
    await this.local.streamChanged(streamId);
    await this.node.broadcast({ type: 'stream', streamId });
  }

  async signingKeysChanged(): Promise<void> {
    await this.local.signingKeysChanged();
    await this.node.broadcast({ type: 'signing-keys' });
  }

  async simulcastChanged(streamId: string): Promise<void> {
    await this.local.simulcastChanged(streamId);
    await this.node.broadcast({ type: 'simulcast', streamId });
  }

  async mediaDeleted(mediaId: string): Promise<void> {
    await this.local.mediaDeleted?.(mediaId);
    await this.node.broadcast({ type: 'media-deleted', mediaId });
  }
}

/** Apply a message from another node to this node's media plane (never re-broadcast). */
export async function applyClusterMessage(local: LiveControl, msg: BusMessage): Promise<void> {
  switch (msg.type) {
    case 'finish':
      if (msg.streamId) await local.finish(msg.streamId);
      return;
    case 'kick':
      if (msg.streamId && (msg.reason === 'disabled' || msg.reason === 'deleted')) await local.kick(msg.streamId, msg.reason);
      if (msg.streamId) await local.streamChanged(msg.streamId);
      return;
    case 'playback-ids':
      await local.playbackIdsChanged();
      return;
    case 'stream':
      if (msg.streamId) await local.streamChanged(msg.streamId);
      return;
    case 'signing-keys':
      await local.signingKeysChanged();
      return;
    case 'simulcast':
      if (msg.streamId) await local.simulcastChanged(msg.streamId);
      return;
    case 'media-deleted':
      if (msg.mediaId) await local.mediaDeleted?.(msg.mediaId);
      return;
    default:
      return;
  }
}
