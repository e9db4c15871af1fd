/** A real SQLite store and streams service in a temp dir for the recorder tests, and the settings of a recorded stream. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamsService } from '../../../src/core/streams-service.js';
import { Store } from '../../../src/store/store.js';

export const recordedStreamSettings = {
  accessPolicy: 'public', maxResolution: '1080p', reconnectWindow: 60, mediaPolicy: 'public', metadata: {},
  enableDvrMode: true, enableRecording: true, lowLatency: false, closedCaptions: false, maxDuration: 0,
} as const;

export interface RecorderDb {
  dir: string;
  store: Store;
  streams: StreamsService;
  close(): Promise<void>;
}

export async function openRecorderDb(prefix: string): Promise<RecorderDb> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const store = await Store.open(join(dir, 'db.sqlite'));
  return {
    dir, store, streams: new StreamsService(store),
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
