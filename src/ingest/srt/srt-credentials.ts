/** Mirrors the store's SRT credentials into the native listener's table (handshakes are answered from memory). */
import type { MediaStore } from '../../core/contracts.js';
import type { NativeSrtListener } from './native.js';

export type SrtCredentialRow = Awaited<ReturnType<MediaStore['listSrtCredentials']>>[number];
export type SrtCredentialLoader = () => Promise<SrtCredentialRow[]>;

export class SrtCredentials {
  /** srtPlaybackStreamId -> streamId */
  private readonly playback = new Map<string, string>();
  /** every id currently in the native table */
  private readonly ids = new Set<string>();

  constructor(private readonly listener: NativeSrtListener) {}

  /** Replaces the whole table with `rows`: new ids added, changed ones updated, vanished ones removed. */
  sync(rows: SrtCredentialRow[]): void {
    const seen = new Set<string>();
    this.playback.clear();
    for (const row of rows) {
      // A disabled stream refuses both its publishers and its SRT viewers (SRT_REJX_FORBIDDEN).
      const state = row.status === 'disabled' ? 'disabled' : 'ok';
      this.listener.setCredential(row.streamId, row.srtSecret, 'publish', state);
      seen.add(row.streamId);
      if (row.srtPlaybackStreamId) {
        this.listener.setCredential(row.srtPlaybackStreamId, row.srtPlaybackSecret, 'request', state);
        this.playback.set(row.srtPlaybackStreamId, row.streamId);
        seen.add(row.srtPlaybackStreamId);
      }
    }
    for (const id of this.ids) if (!seen.has(id)) this.listener.removeCredential(id);
    this.ids.clear();
    for (const id of seen) this.ids.add(id);
  }

  /** The stream a playback id plays, if known. */
  streamForPlayback(srtPlaybackStreamId: string): string | undefined {
    return this.playback.get(srtPlaybackStreamId);
  }
}
