/** Minimal HLS playlist reading for the benchmarks: multivariant -> media playlist, segment progress. */
import { fetchWithTimeout } from './wait.js';

export interface MediaPlaylistInfo {
  url: string;
  mediaSequence: number;
  /** Absolute URLs of the full segments, oldest first. */
  segments: string[];
  /** Absolute URLs of the LL-HLS parts listed (EXT-X-PART), oldest first. */
  parts: string[];
  /** mediaSequence + number of full segments: grows by one per new segment. */
  progress: number;
}

function uriLines(text: string): string[] {
  return text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
}

/** The first variant's URL if `text` is a multivariant playlist (RFC 8216bis 4.4.6.2 EXT-X-STREAM-INF), else undefined. */
export function firstVariantUrl(text: string, baseUrl: string): string | undefined {
  const lines = text.split('\n').map((line) => line.trim());
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.startsWith('#EXT-X-STREAM-INF')) continue;
    // "The URI line that follows the EXT-X-STREAM-INF tag specifies a Media Playlist".
    for (let j = i + 1; j < lines.length; j++) {
      const line = lines[j]!;
      if (line !== '' && !line.startsWith('#')) return new URL(line, baseUrl).href;
    }
  }
  return undefined;
}

export function parseMediaPlaylist(text: string, url: string): MediaPlaylistInfo {
  if (!text.startsWith('#EXTM3U')) throw new Error(`not a playlist: ${url}`);
  const sequence = /#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text);
  const mediaSequence = sequence ? Number(sequence[1]) : 0;
  const segments = uriLines(text).map((uri) => new URL(uri, url).href);
  const parts = [...text.matchAll(/#EXT-X-PART:[^\n]*URI="([^"]+)"/g)].map((m) => new URL(m[1]!, url).href);
  return { url, mediaSequence, segments, parts, progress: mediaSequence + segments.length };
}

/** Fetches `url`; if it is multivariant, follows the first variant. Throws on HTTP errors. */
export async function fetchMediaPlaylist(url: string, timeoutMs = 4000): Promise<MediaPlaylistInfo> {
  let current = url;
  for (let hop = 0; hop < 2; hop++) {
    const res = await fetchWithTimeout(current, {}, timeoutMs);
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`HTTP ${res.status} for ${current}`);
    }
    const text = await res.text();
    const variant = firstVariantUrl(text, current);
    if (variant === undefined) return parseMediaPlaylist(text, current);
    current = variant;
  }
  throw new Error(`multivariant playlist nested too deep: ${url}`);
}

/**
 * The URI of part `part` of segment `msn` in a media playlist (RFC 8216bis 4.4.4.9 EXT-X-PART: the parts listed
 * before a segment's URI line are that segment's, and the ones after the last URI belong to the open segment),
 * absolute against `url`; undefined when the playlist does not list it.
 */
export function partUri(text: string, url: string, msn: number, part: number): string | undefined {
  const sequence = /#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text);
  let current = sequence ? Number(sequence[1]) : 0;
  let index = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#EXT-X-PART:')) {
      if (current === msn && index === part) {
        const uri = /URI="([^"]+)"/.exec(line)?.[1];
        return uri === undefined ? undefined : new URL(uri, url).href;
      }
      index++;
    } else if (!line.startsWith('#')) {
      current++;
      index = 0;
    }
  }
  return undefined;
}

/** The EXT-X-MAP (init segment) URI, absolute against `url`. */
export function mapUri(text: string, url: string): string | undefined {
  const uri = /#EXT-X-MAP:[^\n]*URI="([^"]+)"/.exec(text)?.[1];
  return uri === undefined ? undefined : new URL(uri, url).href;
}
