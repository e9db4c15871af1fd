/**
 * A simulated LL-HLS viewer, what a low-latency player does on the wire without decoding: the multivariant
 * playlist, the media playlist and its init segment once, then forever a blocking playlist reload for the next part
 * (`_HLS_msn`/`_HLS_part`, RFC 8216bis 6.2.5.2), and as soon as it answers the next reload goes out while the
 * part it announced is fetched on a second connection (as hls.js does in low-latency mode). Each viewer has its own
 * two keep-alive connections through the lean client of lite-http.ts, so that hundreds of them fit in the bench
 * process.
 */
import { firstVariantUrl, mapUri, partUri } from './hls-playlist.js';
import { LiteHttpConnection } from './lite-http.js';
import { nextPart } from '../db-stall.js';

export class LlHlsViewer {
  /** parts received */
  parts = 0;
  /** blocking playlist reloads answered */
  reloads = 0;
  /** reloads whose answer was already past the part asked for (parts went by unseen: the viewer fell behind) */
  late = 0;
  errors = 0;
  lastError = '';
  private running = false;
  private loop: Promise<void> | undefined;
  /** playlists (blocking reloads) on one connection, media on the other */
  private readonly playlists: LiteHttpConnection;
  private readonly media: LiteHttpConnection;
  private readonly origin: string;

  constructor(readonly playUrl: string, private readonly timeoutMs = 15_000) {
    const u = new URL(playUrl);
    this.origin = u.origin;
    this.playlists = new LiteHttpConnection(u.hostname, Number(u.port || 80));
    this.media = new LiteHttpConnection(u.hostname, Number(u.port || 80));
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  private async get(url: string, keepBody = true, on = this.playlists): Promise<Buffer> {
    if (!url.startsWith(this.origin)) throw new Error(`${url} is not on ${this.origin}`);
    const answer = await on.get(url.slice(this.origin.length) || '/', this.timeoutMs, keepBody);
    if (answer.status !== 200) throw new Error(`HTTP ${answer.status} for ${url}: ${answer.body.toString('utf8', 0, 120)}`);
    return answer.body;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.play();
      } catch (err) {
        if (!this.running) break;
        this.errors++;
        this.lastError = err instanceof Error ? err.message : String(err);
        // a failed viewer starts over from the multivariant playlist, after a pause as a player's retry would
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  private async play(): Promise<void> {
    const top = (await this.get(this.playUrl)).toString('utf8');
    const mediaUrl = firstVariantUrl(top, this.playUrl) ?? this.playUrl;
    let text = (await this.get(mediaUrl)).toString('utf8');
    const init = mapUri(text, mediaUrl);
    if (init !== undefined) await this.get(init, false, this.media);
    let want = nextPart(text);
    if (want === undefined) throw new Error(`no media sequence in ${mediaUrl}`);
    const sep = mediaUrl.includes('?') ? '&' : '?';
    // the part fetches, one after the other on the media connection, alongside the reloads
    let mediaChain: Promise<void> = Promise.resolve();
    let mediaError: unknown;
    try {
      while (this.running) {
        if (mediaError !== undefined) throw mediaError;
        text = (await this.get(`${mediaUrl}${sep}_HLS_msn=${want.msn}&_HLS_part=${want.part}`)).toString('utf8');
        this.reloads++;
        const after = nextPart(text);
        if (after === undefined) throw new Error(`no media sequence in ${mediaUrl}`);
        const uri = partUri(text, mediaUrl, want.msn, want.part);
        if (uri !== undefined) {
          mediaChain = mediaChain.then(async () => {
            if (mediaError !== undefined || !this.running) return;
            try {
              await this.get(uri, false, this.media);
              this.parts++;
            } catch (err) {
              mediaError = err;
            }
          });
        }
        if (isLate(want, after)) this.late++;
        want = after;
      }
    } finally {
      await mediaChain;
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.playlists.close();
    this.media.close();
    await this.loop;
  }
}

/**
 * Whether a blocking reload for part `want` came back with newer parts than that one: the normal answer lists
 * `want` and nothing newer, so the next part to ask for is `want.part + 1` of the same segment, or part 0 of the next
 * segment when `want` closed its segment; anything further means parts went by unseen.
 */
export function isLate(want: { msn: number; part: number }, after: { msn: number; part: number }): boolean {
  if (after.msn === want.msn) return after.part > want.part + 1;
  if (after.msn === want.msn + 1) return after.part > 0;
  return after.msn > want.msn + 1;
}
