/** HLS playlist writers (pure text). */
export { writeMediaPlaylist, type MediaPlaylist, type PlaylistPart, type PlaylistSegment } from './media-playlist.js';
export { writeMultivariantPlaylist, type MultivariantPlaylist, type Variant, type AudioRendition } from './multivariant-playlist.js';
