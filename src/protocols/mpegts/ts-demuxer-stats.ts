/** Counters a TsDemuxer keeps about what it dropped or repaired (exposed for metrics and tests). */

export interface TsDemuxerStats {
  /** 188-byte packets handled */
  packets: number;
  /** continuity_counter gaps */
  ccErrors: number;
  /** PES packets dropped: cut by a CC gap, oversized, cut short, or with a broken header */
  pesErrors: number;
  /** times sync was lost and searched for again */
  resyncs: number;
  /** packets flagged with transport_error_indicator (dropped) */
  transportErrors: number;
  /** PSI sections with a bad CRC */
  psiErrors: number;
  /** PMT entries with a stream_type this demuxer does not handle (or a second track of a kind) */
  ignoredStreams: number;
  /** access units / audio frames not emitted (before the first config, empty, or unusable) */
  droppedFrames: number;
}

export function emptyDemuxerStats(): TsDemuxerStats {
  return {
    packets: 0,
    ccErrors: 0,
    pesErrors: 0,
    resyncs: 0,
    transportErrors: 0,
    psiErrors: 0,
    ignoredStreams: 0,
    droppedFrames: 0,
  };
}
