/** MPEG-TS numbers from ISO/IEC 13818-1 used by both the demuxer and the muxer. */

export const TS_PACKET_SIZE = 188;
export const TS_SYNC_BYTE = 0x47;
/** Bytes after the 4-byte packet header. */
export const TS_BODY_SIZE = 184;

export const PID_PAT = 0x0000;

export const TABLE_ID_PAT = 0x00;
export const TABLE_ID_PMT = 0x02;

/** stream_type values (Table 2-34 plus ITU-T H.265 amendment). */
export const STREAM_TYPE_AAC_ADTS = 0x0f;
export const STREAM_TYPE_H264 = 0x1b;
export const STREAM_TYPE_HEVC = 0x24;

/** PTS, DTS and PCR base are 33-bit counters of a 90 kHz clock. */
export const TS_CLOCK_WRAP = 2 ** 33;
