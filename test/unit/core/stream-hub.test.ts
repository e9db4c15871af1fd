import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamHub } from '../../../src/core/live-stream.js';
import type { MediaFrame, TrackConfig } from '../../../src/media/frame.js';

const video: TrackConfig = { track: 'video', codec: 'h264', record: Buffer.from([1]), width: 2, height: 2, codecString: 'avc1.42c00a' };
const audio: TrackConfig = { track: 'audio', codec: 'aac', asc: Buffer.from([0x12, 0x10]), sampleRate: 44100, channels: 2, codecString: 'mp4a.40.2' };
const f = (track: 'video' | 'audio', dts: number, keyframe = false): MediaFrame => ({
  track, codec: track === 'video' ? 'h264' : 'aac', dts, pts: dts, keyframe, data: Buffer.alloc(1),
});

test('a late subscriber gets the configs, then starts at the next keyframe', () => {
  const hub = new StreamHub();
  hub.open('s');
  hub.config('s', video);
  hub.config('s', audio);
  hub.frame('s', f('video', 0, true));
  const got: string[] = [];
  const unsub = hub.subscribe('s', {
    onConfig: (c) => got.push(`cfg:${c.track}`),
    onFrame: (fr) => got.push(`${fr.track}:${fr.dts}`),
    onEnd: () => got.push('end'),
  });
  hub.frame('s', f('video', 3000));
  hub.frame('s', f('audio', 3100));
  hub.frame('s', f('video', 6000, true));
  hub.frame('s', f('audio', 6100));
  hub.close('s');
  assert.deepEqual(got, ['cfg:video', 'cfg:audio', 'video:6000', 'audio:6100', 'end']);
  assert.equal(hub.isLive('s'), false);
  unsub();
});

test('audio-only streams flow at once; other streams are isolated', () => {
  const hub = new StreamHub();
  hub.open('a');
  hub.open('b');
  hub.config('a', audio);
  const got: number[] = [];
  hub.subscribe('a', { onConfig: () => {}, onFrame: (fr) => got.push(fr.dts) });
  hub.frame('a', f('audio', 1));
  hub.frame('b', f('audio', 2));
  assert.deepEqual(got, [1]);
  assert.equal(hub.isLive('a'), true);
});
