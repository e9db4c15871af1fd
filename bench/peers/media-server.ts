/** What every server under test offers the measurements: start, make a stream, name its process tree, stop. */

export interface StreamEndpoints {
  publishUrl: string;
  /** The playlist a viewer opens (multivariant or media). */
  playUrl: string;
  /** SRT publish URL (caller, MPEG-TS), for servers that take SRT (onair only). */
  srtPublishUrl?: string;
}

export interface MediaServer {
  /** Short name used in the table: onair, nginx-hls, nms. */
  readonly name: string;
  /** A line for the table notes (version, how it was started). */
  readonly description: string;
  start(): Promise<void>;
  createStream(index: number): Promise<StreamEndpoints>;
  /** The root of the process tree whose CPU is counted. */
  rootPid(): number;
  /** Base URL of the HTTP listener that serves the playlists (for the browser's same-origin page). */
  playbackOrigin(): string;
  /** Memory the server holds outside its processes (nginx's HLS files on tmpfs), for the memory rows. */
  extraMemoryBytes?(): number;
  stop(): Promise<void>;
}

export type ServerName = 'onair' | 'nginx-hls' | 'nms';
