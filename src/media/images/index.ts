export { Thumbnailer, IMAGE_FORMATS, MAX_STORYBOARD_TILES, MAX_STORYBOARD_COLUMNS } from './thumbnailer.js';
export type { ImageFormat, ImageSource, ThumbnailRequest, SpritesheetRequest, StoryboardTileRequest, Storyboard, ThumbnailerOptions } from './thumbnailer.js';
export { FIT_MODES, MAX_IMAGE_DIMENSION, planSize, type FitMode } from './fit.js';
export { ImageRequestError, ImageBusyError, ImageTimeoutError, ImageProcessError } from './errors.js';
