/** Sample entries of the stsd box: avc1/hvc1/av01 (14496-15, AV1-ISOBMFF) and mp4a with esds (14496-14). */
import type { AudioConfig, VideoConfig } from '../../media/frame.js';
import { box, fullBox, u16, u32, u8, zeros } from './box.js';

const VIDEO_ENTRY: Record<VideoConfig['codec'], { entry: string; config: string }> = {
  h264: { entry: 'avc1', config: 'avcC' },
  // "hvc1": parameter sets only in the sample entry (14496-15 §8.4.1), what Apple requires for HLS.
  hevc: { entry: 'hvc1', config: 'hvcC' },
  av1: { entry: 'av01', config: 'av1C' },
};

export function videoSampleEntry(cfg: VideoConfig): Buffer {
  const { entry, config } = VIDEO_ENTRY[cfg.codec];
  const compressor = zeros(32);
  return box(
    entry,
    zeros(6), // reserved
    u16(1), // data_reference_index
    zeros(16), // pre_defined, reserved, pre_defined[3]
    u16(cfg.width),
    u16(cfg.height),
    u32(0x00480000), // horizresolution 72 dpi
    u32(0x00480000), // vertresolution 72 dpi
    u32(0), // reserved
    u16(1), // frame_count
    compressor,
    u16(0x0018), // depth
    u16(0xffff), // pre_defined = -1
    box(config, cfg.record),
  );
}

/** An MPEG-4 descriptor (14496-1 §8.3.3): tag, then the size as 7-bit groups with continuation bits. */
function descriptor(tag: number, ...payload: Buffer[]): Buffer {
  let size = 0;
  for (const p of payload) size += p.length;
  const lenBytes: number[] = [];
  let rest = size;
  do {
    lenBytes.unshift(rest & 0x7f);
    rest >>>= 7;
  } while (rest > 0);
  for (let i = 0; i < lenBytes.length - 1; i++) lenBytes[i]! |= 0x80;
  return Buffer.concat([Buffer.from([tag, ...lenBytes]), ...payload]);
}

function esds(asc: Buffer): Buffer {
  const decoderSpecificInfo = descriptor(0x05, asc);
  const decoderConfig = descriptor(
    0x04,
    u8(0x40), // objectTypeIndication: Audio ISO/IEC 14496-3
    u8((0x05 << 2) | 1), // streamType = AudioStream, upStream = 0, reserved = 1
    Buffer.from([0, 0, 0]), // bufferSizeDB
    u32(0), // maxBitrate
    u32(0), // avgBitrate
    decoderSpecificInfo,
  );
  const slConfig = descriptor(0x06, u8(0x02)); // predefined = 2 (reserved for use in MP4 files)
  const es = descriptor(0x03, u16(0) /* ES_ID */, u8(0) /* flags */, decoderConfig, slConfig);
  return fullBox('esds', 0, 0, es);
}

export function audioSampleEntry(cfg: AudioConfig): Buffer {
  return box(
    'mp4a',
    zeros(6),
    u16(1), // data_reference_index
    zeros(8), // reserved
    u16(cfg.channels),
    u16(16), // samplesize
    u32(0), // pre_defined, reserved
    // samplerate is 16.16 fixed point; rates above 65535 do not fit, the esds carries the real one.
    u32(cfg.sampleRate <= 0xffff ? cfg.sampleRate * 0x10000 : 0),
    esds(cfg.asc),
  );
}
