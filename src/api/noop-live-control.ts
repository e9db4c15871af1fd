/** The LiveControl used until the media plane is plugged in: does nothing, counts no viewers. */
import type { LiveControl } from '../core/contracts.js';

export class NoopLiveControl implements LiveControl {
  async finish(): Promise<void> {}
  async kick(): Promise<void> {}
  viewerCount(): number {
    return 0;
  }
  async playbackIdsChanged(): Promise<void> {}
  async streamChanged(): Promise<void> {}
  async signingKeysChanged(): Promise<void> {}
  async simulcastChanged(): Promise<void> {}
  async mediaDeleted(): Promise<void> {}
}
