/**
 * A hostile RTMP client for the limit tests: real sockets, the real handshake, then messages it never
 * finishes. (The peer the adversary of issue 8 wrote: Set Chunk Size just under the message length, then two
 * huge messages on two chunk streams, each one byte short, held open.)
 */
import { connect, type Socket } from 'node:net';
import { encodeAmf0 } from '../../../src/protocols/amf0/amf0-encoder.js';
import { RtmpChunkReader } from '../../../src/protocols/rtmp/rtmp-chunk-reader.js';
import { RtmpChunkWriter } from '../../../src/protocols/rtmp/rtmp-chunk-writer.js';
import { decodeCommand } from '../../../src/protocols/rtmp/rtmp-command.js';

const ZERO = Buffer.alloc(1024 * 1024);

export interface RtmpPeer {
  socket: Socket;
  /** onStatus / _result codes received */
  statuses: string[];
  /** resolves when the socket is gone, whoever closed it */
  closed: Promise<void>;
  /** the socket closed before we destroyed it */
  closedByServer(): boolean;
  destroy(): void;
}

/** Connects (from `localAddress`, e.g. 127.0.0.7, so that per-address limits see distinct peers) and shakes hands. */
export async function rtmpPeer(port: number, localAddress = '127.0.0.1'): Promise<RtmpPeer> {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  socket.setNoDelay(true);
  socket.on('error', () => {});
  let destroyedByUs = false;
  let serverClosed = false;
  const closed = new Promise<void>((r) =>
    socket.on('close', () => {
      if (!destroyedByUs) serverClosed = true;
      r();
    }),
  );
  const statuses: string[] = [];
  const reader = new RtmpChunkReader();
  let hs = Buffer.alloc(0);
  let shaken!: () => void;
  const handshakeDone = new Promise<void>((r) => (shaken = r));
  let isShaken = false;
  socket.on('data', (d: Buffer) => {
    if (!isShaken) {
      hs = Buffer.concat([hs, d]);
      if (hs.length < 1 + 2 * 1536) return;
      isShaken = true;
      socket.write(hs.subarray(1, 1 + 1536)); // C2 = S1
      d = hs.subarray(1 + 2 * 1536);
      shaken();
    }
    try {
      for (const m of reader.feed(d)) {
        if (m.type !== 20) continue;
        const c = decodeCommand(m.type, m.payload);
        const info = c.args[0] as { code?: string } | undefined;
        statuses.push(`${c.name}:${info?.code ?? ''}`);
      }
    } catch {
      socket.destroy();
    }
  });
  await Promise.race([new Promise<void>((r) => socket.once('connect', () => r())), closed]);
  const c0c1 = Buffer.alloc(1537);
  c0c1[0] = 3;
  socket.write(c0c1);
  await Promise.race([handshakeDone, closed]);
  return {
    socket,
    statuses,
    closed,
    closedByServer: () => serverClosed,
    destroy() {
      destroyedByUs = !serverClosed;
      socket.destroy();
    },
  };
}

/** connect + createStream + publish `key`; resolves once NetStream.Publish.Start (or the close) arrives. */
export async function publishOn(peer: RtmpPeer, port: number, key: string, timeoutMs = 5000): Promise<boolean> {
  const w = new RtmpChunkWriter();
  peer.socket.write(w.write(3, 20, 0, 0, encodeAmf0('connect', 1, { app: 'live', tcUrl: `rtmp://127.0.0.1:${port}/live` })));
  peer.socket.write(w.write(3, 20, 0, 0, encodeAmf0('createStream', 2, null)));
  peer.socket.write(w.write(4, 20, 1, 0, encodeAmf0('publish', 3, null, key, 'live')));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !peer.socket.destroyed) {
    if (peer.statuses.includes('onStatus:NetStream.Publish.Start')) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

/** Writes `data`, waiting for the socket to drain; false when the socket is gone first. */
async function writeAll(socket: Socket, data: Buffer): Promise<boolean> {
  if (socket.destroyed) return false;
  if (socket.write(data)) return true;
  return new Promise<boolean>((resolve) => {
    const done = (ok: boolean) => {
      socket.off('drain', onDrain);
      socket.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    socket.on('drain', onDrain);
    socket.on('close', onClose);
  });
}

function messageHeader(csid: number, type: number, length: number): Buffer {
  const h = Buffer.alloc(12);
  h[0] = csid; // fmt 0
  h.writeUIntBE(0, 1, 3);
  h.writeUIntBE(length, 4, 3);
  h[7] = type;
  h.writeUInt32LE(1, 8);
  return h;
}

/**
 * Set Chunk Size to `length - 1`, then the first chunk of two `length`-byte messages (video on chunk stream 4,
 * audio on 5): two messages of `length` bytes each left one byte short. Returns the bytes the socket took
 * before it was closed (or all of them).
 */
export async function startUnfinishedMessages(peer: RtmpPeer, length: number): Promise<number> {
  const chunk = length - 1;
  const scs = Buffer.alloc(16);
  scs.set([0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0]);
  scs.writeUInt32BE(chunk, 12);
  let sent = 0;
  if (!(await writeAll(peer.socket, scs))) return sent;
  sent += scs.length;
  for (const [csid, type] of [[4, 9], [5, 8]] as const) {
    if (!(await writeAll(peer.socket, messageHeader(csid, type, length)))) return sent;
    sent += 12;
    for (let left = chunk; left > 0; ) {
      const n = Math.min(left, ZERO.length);
      if (!(await writeAll(peer.socket, ZERO.subarray(0, n)))) return sent;
      sent += n;
      left -= n;
    }
  }
  return sent;
}
