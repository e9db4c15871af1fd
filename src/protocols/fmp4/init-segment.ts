/** CMAF init segment writer: ftyp + moov (one trak per track, mvex/trex for fragments). */
import { TIMESCALE, type TrackConfig } from '../../media/frame.js';
import { box, fullBox, u16, u32, UNITY_MATRIX, zeros } from './box.js';
import { audioSampleEntry, videoSampleEntry } from './sample-entry.js';
import { SYNC_SAMPLE_FLAGS } from './sample-flags.js';

/** The media timescale a track's fragments use: 90 kHz for video, the sample rate for audio. */
export function trackTimescale(cfg: TrackConfig): number {
  return cfg.track === 'video' ? TIMESCALE : cfg.sampleRate;
}

const MOVIE_TIMESCALE = 1000;

function ftyp(): Buffer {
  // CMAF (ISO/IEC 23000-19 §7.2): the init segment's ftyp carries the 'cmfc' brand.
  const brands = ['iso6', 'cmfc', 'isom', 'mp41'];
  return box('ftyp', Buffer.from('iso6', 'latin1'), u32(0), Buffer.from(brands.join(''), 'latin1'));
}

function mvhd(nextTrackId: number): Buffer {
  return fullBox(
    'mvhd', 0, 0,
    u32(0), u32(0), // creation, modification time
    u32(MOVIE_TIMESCALE),
    u32(0), // duration: unknown (fragmented)
    u32(0x00010000), // rate 1.0
    u16(0x0100), // volume 1.0
    zeros(10), // reserved
    UNITY_MATRIX,
    zeros(24), // pre_defined
    u32(nextTrackId),
  );
}

function tkhd(cfg: TrackConfig, trackId: number): Buffer {
  const video = cfg.track === 'video';
  return fullBox(
    'tkhd', 0, 0x000003, // track_enabled | track_in_movie
    u32(0), u32(0),
    u32(trackId),
    u32(0), // reserved
    u32(0), // duration
    zeros(8), // reserved
    u16(0), // layer
    u16(video ? 0 : 1), // alternate_group
    u16(video ? 0 : 0x0100), // volume
    u16(0),
    UNITY_MATRIX,
    u32(video ? cfg.width * 0x10000 : 0), // width 16.16
    u32(video ? cfg.height * 0x10000 : 0), // height 16.16
  );
}

function mdhd(timescale: number): Buffer {
  // language 'und' packed as three 5-bit letters (each minus 0x60)
  const und = ((0x75 - 0x60) << 10) | ((0x6e - 0x60) << 5) | (0x64 - 0x60);
  return fullBox('mdhd', 0, 0, u32(0), u32(0), u32(timescale), u32(0), u16(und), u16(0));
}

function hdlr(cfg: TrackConfig): Buffer {
  const video = cfg.track === 'video';
  const name = Buffer.from(video ? 'VideoHandler\0' : 'SoundHandler\0', 'latin1');
  return fullBox('hdlr', 0, 0, u32(0), Buffer.from(video ? 'vide' : 'soun', 'latin1'), zeros(12), name);
}

function stbl(cfg: TrackConfig): Buffer {
  const entry = cfg.track === 'video' ? videoSampleEntry(cfg) : audioSampleEntry(cfg);
  return box(
    'stbl',
    fullBox('stsd', 0, 0, u32(1), entry),
    // Sample tables stay empty: every sample lives in movie fragments (14496-12 §8.8).
    fullBox('stts', 0, 0, u32(0)),
    fullBox('stsc', 0, 0, u32(0)),
    fullBox('stsz', 0, 0, u32(0), u32(0)),
    fullBox('stco', 0, 0, u32(0)),
  );
}

function trak(cfg: TrackConfig, trackId: number): Buffer {
  const mediaHeader = cfg.track === 'video'
    ? fullBox('vmhd', 0, 1, zeros(8))
    : fullBox('smhd', 0, 0, zeros(4));
  const dinf = box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1)));
  return box(
    'trak',
    tkhd(cfg, trackId),
    box('mdia', mdhd(trackTimescale(cfg)), hdlr(cfg), box('minf', mediaHeader, dinf, stbl(cfg))),
  );
}

function trex(trackId: number): Buffer {
  return fullBox('trex', 0, 0, u32(trackId), u32(1), u32(0), u32(0), u32(SYNC_SAMPLE_FLAGS));
}

/**
 * ftyp + moov for `tracks`; track ids are 1..n in the order given (fragments must use the same ids).
 * Throws RangeError on an empty list.
 */
export function buildInitSegment(tracks: TrackConfig[]): Buffer {
  if (tracks.length === 0) throw new RangeError('init segment needs at least one track');
  const traks = tracks.map((cfg, i) => trak(cfg, i + 1));
  const mvex = box('mvex', ...tracks.map((_, i) => trex(i + 1)));
  return Buffer.concat([ftyp(), box('moov', mvhd(tracks.length + 1), ...traks, mvex)]);
}
