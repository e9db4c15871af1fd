/**
 * The wire builders of core/streams-serialize.ts (shared with the webhook payloads) typed as the response schemas'
 * `Static` types. The builders return loose records, so this is the one place the API asserts their shape; every
 * answer is still checked against the schema at run time (response-check.ts), so a builder that drifts fails there.
 */
import type { Static } from '@sinclair/typebox';
import { toLiveStream, toPlaybackIdWire, toSimulcastWire, type LiveStreamView } from '../core/streams-serialize.js';
import type { PlaybackIdData, SimulcastData, StreamData } from '../core/streams-model.js';
import type { LiveStream, PlaybackId, Simulcast } from './schemas.js';

export type LiveStreamWire = Static<typeof LiveStream>;
export type PlaybackIdWire = Static<typeof PlaybackId>;
export type SimulcastWire = Static<typeof Simulcast>;

export const liveStreamWire = (s: StreamData, view: LiveStreamView): LiveStreamWire => toLiveStream(s, view) as LiveStreamWire;
export const playbackIdWire = (p: PlaybackIdData): PlaybackIdWire => toPlaybackIdWire(p) as PlaybackIdWire;
export const simulcastWire = (s: SimulcastData): SimulcastWire => toSimulcastWire(s) as SimulcastWire;
