export { LadderTranscoder, type LadderRendition, type LadderTranscoderOptions, type RenditionOwner } from './ladder-transcoder.js';
export { DEFAULT_LADDER, parseLadder, planLadder, resolutionHeight, rungSize, type LadderPlan, type LadderRung, type PlannedRung } from './ladder.js';
export { TranscodeSlots, defaultMaxTranscodes } from './transcode-slots.js';
export { ffmpegLadderArgs } from './ffmpeg-args.js';
