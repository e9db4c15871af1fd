/** Loads the onair_srt native addon (native/srt, built by `npm run build:native`) and types its surface. */
import { createRequire } from 'node:module';

/** An event the listener reports (besides data). */
export type NativeControlEvent =
  | { type: 'accept'; socket: number; id: string; mode: 'publish' | 'request'; peer: string }
  | { type: 'close'; socket: number; id: string; reason: string }
  | { type: 'reject'; code: number; streamId: string; peer: string };

/**
 * One batch per wakeup of the JS thread: control events, then data as (socket, offset, length) triples into
 * `data` (a socket's messages concatenated). Within a batch a socket's accept precedes its data, which precede its close.
 */
export type NativeEventHandler = (control: NativeControlEvent[], index: Int32Array, data: Buffer) => void;

export interface NativeListenerOptions {
  host?: string;
  port?: number;
  /** SRTO_LATENCY proposed by the listener (ms); the larger of the two sides wins. Default 120. */
  latencyMs?: number;
  /** SRTO_PAYLOADSIZE, default 1316 (7 TS packets). */
  payloadSize?: number;
  /** SRTO_PEERIDLETIMEO, default 5000 ms. */
  peerIdleTimeoutMs?: number;
  /** Handshakes admitted per source address per window; <= 0 disables. Default 30. */
  floodLimit?: number;
  /** Default 10000 ms. */
  floodWindowMs?: number;
  /** A publisher that delivered nothing for this long no longer blocks a new one. Default 2000 ms. */
  publisherStaleMs?: number;
  /** Bytes held for JS before media is dropped. Default 32 MiB. */
  maxPendingBytes?: number;
}

export interface NativeSrtStats {
  msRTT: number;
  mbpsRecvRate: number;
  mbpsSendRate: number;
  mbpsBandwidth: number;
  pktRecv: number;
  pktSent: number;
  pktRcvLoss: number;
  pktSndLoss: number;
  pktRetrans: number;
  pktRcvRetrans: number;
  pktRcvDrop: number;
  pktSndDrop: number;
  byteRecv: number;
  byteSent: number;
  msRcvTsbPdDelay: number;
  msSndTsbPdDelay: number;
  /** messages dropped by send() because the socket's send buffer was full */
  sendDrops: number;
}

export interface NativeSrtListener {
  port(): number;
  setCredential(id: string, passphrase: string, mode: 'publish' | 'request', state: 'ok' | 'disabled'): void;
  removeCredential(id: string): void;
  setBusy(id: string, busy: boolean): void;
  /** Sends as messages of at most payloadSize bytes; returns messages dropped, -1 if the socket is gone. */
  send(socket: number, data: Buffer): number;
  close(socket: number, reason?: string): void;
  stats(socket: number): NativeSrtStats | undefined;
  /** Bytes dropped because JS did not take them in time. */
  droppedBytes(): number;
  shutdown(): void;
}

export interface NativeSrtAddon {
  SrtListener: new (options: NativeListenerOptions, onEvents: NativeEventHandler) => NativeSrtListener;
  libsrtVersion: string;
}

/** The built addon, relative to this file: src/ingest/srt (and dist/ingest/srt) sit three levels below the root. */
export const NATIVE_ADDON_PATH = '../../../native/srt/build/Release/onair_srt.node';

let addon: NativeSrtAddon | undefined;

/** Loads the addon once; throws with a hint when it has not been built. */
export function loadSrtAddon(): NativeSrtAddon {
  if (addon) return addon;
  const require = createRequire(import.meta.url);
  try {
    addon = require(NATIVE_ADDON_PATH) as NativeSrtAddon;
  } catch (err) {
    throw new Error(`SRT addon not built (run \`npm run build:native\`): ${(err as Error).message}`);
  }
  return addon;
}
