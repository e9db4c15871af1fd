/**
 * A live stream changing owner under a viewer (the owner died, the encoder reconnects through another node): the
 * edge holds the viewer's playlist request and answers it from the next owner (or from itself when it took the
 * session), one owner poll per stream however many requests wait; without a next owner it gives up with the
 * usual errors; media requests are never held.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EdgeProxy, type ForwardRetry } from '../../../src/cluster/edge-proxy.js';
import { OwnerWaits } from '../../../src/cluster/owner-waits.js';

function listen(s: Server): Promise<string> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));
}

/** A port nothing listens on (the dead owner). */
async function deadUrl(): Promise<string> {
  const s = createServer();
  const url = await listen(s);
  await new Promise((r) => s.close(r));
  return url;
}

interface World {
  owner: { url: string; self: boolean } | undefined;
  local: boolean;
  live: boolean;
  ownerQueries: number;
}

async function harness(world: World, holdMs: number) {
  const waits = new OwnerWaits({
    ownerOf: async () => { world.ownerQueries++; return world.owner; },
    isLocal: () => world.local,
    mayContinue: async () => world.live,
    pollMs: 50,
    retrySameMs: 200,
  });
  const proxy = new EdgeProxy();
  let localAnswers = 0;
  const edge = createServer((req, res) => {
    const retry: ForwardRetry = {
      holdMs,
      next: (failed, deadline) => waits.next('s', failed, deadline),
      local: async () => { localAnswers++; res.writeHead(200).end('#EXTM3U\n# local\n'); },
    };
    void proxy.forward(world.owner?.url, req, res, retry);
  });
  const url = await listen(edge);
  return {
    url,
    localAnswers: () => localAnswers,
    close: async () => {
      waits.close();
      proxy.close();
      edge.closeAllConnections();
      await new Promise((r) => edge.close(r));
    },
  };
}

test('playlist requests wait for the next owner and get its answer; media requests fail at once', async () => {
  const world: World = { owner: { url: await deadUrl(), self: false }, local: false, live: true, ownerQueries: 0 };
  const h = await harness(world, 5000);
  const next = createServer((req, res) => res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' }).end(`#EXTM3U\n# next owner ${req.url}\n`));
  try {
    const started = Date.now();
    const viewers = Array.from({ length: 20 }, () => fetch(`${h.url}/pid/media.m3u8?_HLS_msn=10&_HLS_part=0`));
    const media = await fetch(`${h.url}/pid/seg-9.m4s`);
    assert.equal(media.status, 502, 'a segment of the dead owner is not held');
    // the encoder comes back through another node after a while
    const nextUrl = await listen(next);
    setTimeout(() => { world.owner = { url: nextUrl, self: false }; }, 600);
    const answers = await Promise.all(viewers);
    for (const a of answers) {
      assert.equal(a.status, 200);
      assert.equal(await a.text(), '#EXTM3U\n# next owner /pid/media.m3u8?_HLS_msn=10&_HLS_part=0\n');
    }
    assert.ok(Date.now() - started >= 550, 'answered by the next owner, after it appeared');
    // one poll for all 20 waiting requests: about (600 ms / 50 ms) owner queries, not 20 times that
    assert.ok(world.ownerQueries < 40, `${world.ownerQueries} owner queries for 20 held requests`);
  } finally {
    next.closeAllConnections();
    await new Promise((r) => next.close(r));
    await h.close();
  }
});

test('this node took the session: the held request is answered locally', async () => {
  const world: World = { owner: undefined, local: false, live: true, ownerQueries: 0 };
  const h = await harness(world, 5000);
  try {
    setTimeout(() => { world.local = true; }, 300);
    const r = await fetch(`${h.url}/pid/media.m3u8`);
    assert.equal(r.status, 200);
    assert.equal(await r.text(), '#EXTM3U\n# local\n');
    assert.equal(h.localAnswers(), 1);
  } finally {
    await h.close();
  }
});

test('nobody takes the session over: the hold ends with 502 (owner dead) or at once with 412 (stream no longer live)', async () => {
  const world: World = { owner: { url: await deadUrl(), self: false }, local: false, live: true, ownerQueries: 0 };
  const h = await harness(world, 700);
  try {
    const started = Date.now();
    const r = await fetch(`${h.url}/pid/media.m3u8`);
    assert.equal(r.status, 502);
    assert.match(await r.text(), /origin unreachable/);
    assert.ok(Date.now() - started >= 650, 'held for the whole hold time');
    world.owner = undefined;
    world.live = false;
    const t = Date.now();
    const gone = await fetch(`${h.url}/pid/media.m3u8`);
    assert.equal(gone.status, 412);
    assert.match(await gone.text(), /stream not live/);
    assert.ok(Date.now() - t < 500, 'a stream that is not live is not held');
  } finally {
    await h.close();
  }
});
