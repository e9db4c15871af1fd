/**
 * deploy/nginx-cluster.conf in front of a real onair: Debian's nginx runs that very file (nodes, listen port and
 * cache directory rendered for the test). ffprobe decodes the live stream through nginx; a segment's second
 * request is a cache HIT with the origin's bytes; concurrent blocking playlist reloads for the same msn/part
 * make one origin request (proxy_cache_lock); a private id's token is part of the key.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, startTestServer, type TestServer } from '../helpers/server.js';
import { freePort, waitFor } from '../helpers/ports.js';
import { clip720p, probe, publish, type Publisher } from '../helpers/media-tools.js';

let srv: TestServer;
let nginx: ChildProcess | undefined;
let nginxLog = '';
let nginxPort: number;
let dir: string;
const publishers: Publisher[] = [];

/** deploy/nginx-cluster.conf with this test's node, port and cache directory. */
function renderConfig(originPort: number, port: number, cacheDir: string): string {
  const conf = readFileSync(join(REPO_ROOT, 'deploy', 'nginx-cluster.conf'), 'utf8');
  const out = conf
    .replace(/# nodes:begin[\s\S]*# nodes:end/, `server 127.0.0.1:${originPort} max_fails=1 fail_timeout=5s;`)
    .replace(/^(\s*)listen 80;$/m, `$1listen 127.0.0.1:${port};`)
    .replaceAll('/var/cache/nginx/onair', cacheDir);
  assert.notEqual(out, conf);
  assert.ok(out.includes(`127.0.0.1:${originPort}`) && out.includes(`listen 127.0.0.1:${port};`) && out.includes(cacheDir), 'config rendered');
  return out;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'onair-nginx-'));
  srv = await startTestServer({ env: { ONAIR_TRANSCODE: 'off' } });
  nginxPort = await freePort();
  writeFileSync(join(dir, 'onair.conf'), renderConfig(srv.ports.playback, nginxPort, join(dir, 'cache')));
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  writeFileSync(join(dir, 'nginx.conf'), [
    isRoot ? 'user root;' : '',
    'worker_processes 1;',
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'error.log')} warn;`,
    'events { worker_connections 1024; }',
    'http {',
    `  access_log ${join(dir, 'access.log')};`,
    `  client_body_temp_path ${join(dir, 'body')};`,
    `  proxy_temp_path ${join(dir, 'proxy')};`,
    `  fastcgi_temp_path ${join(dir, 'fastcgi')};`,
    `  uwsgi_temp_path ${join(dir, 'uwsgi')};`,
    `  scgi_temp_path ${join(dir, 'scgi')};`,
    `  include ${join(dir, 'onair.conf')};`,
    '}',
  ].join('\n'));
  nginx = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  nginx.stdout!.on('data', (d: Buffer) => { nginxLog += d.toString(); });
  nginx.stderr!.on('data', (d: Buffer) => { nginxLog += d.toString(); });
  await waitFor('nginx listening', async () => {
    if (nginx!.exitCode !== null) throw new Error(`nginx exited: ${nginxLog}`);
    const r = await fetch(`http://127.0.0.1:${nginxPort}/healthz-none`).catch(() => undefined);
    return r ? true : undefined;
  }, 15_000);
});

after(async () => {
  for (const p of publishers) await p.stop();
  if (nginx && nginx.exitCode === null) {
    const exited = new Promise((r) => nginx!.once('exit', r));
    nginx.kill('SIGQUIT');
    await exited;
  }
  await srv?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const viaNginx = (path: string) => `http://127.0.0.1:${nginxPort}${path}`;
const viaOrigin = (path: string) => `http://127.0.0.1:${srv.ports.playback}${path}`;

async function originPlaylistRequests(): Promise<number> {
  const text = await (await fetch(`${srv.url}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(/^onair_playback_requests_total\{([^}]*)\} (\S+)$/gm)) {
    if (/kind="playlist"/.test(m[1]!)) n += Number(m[2]);
  }
  return n;
}

async function startStream(accessPolicy: 'public' | 'private'): Promise<{ streamId: string; pid: string }> {
  const res = await srv.request('POST', '/v1/live/streams', { playbackSettings: { accessPolicy }, inputMediaSettings: { reconnectWindow: 60 } });
  assert.equal(res.status, 201, res.text);
  const s = res.body.data as { streamId: string; streamKey: string; playbackIds: { id: string }[] };
  publishers.push(publish(await clip720p(6), `rtmp://127.0.0.1:${srv.ports.rtmp}/live/${s.streamKey}`, { loop: true }));
  return { streamId: s.streamId, pid: s.playbackIds[0]!.id };
}

test('live playback through nginx: decodes, segments are cache HITs, blocking reloads coalesce', { timeout: 120_000 }, async () => {
  const { pid } = await startStream('public');
  await waitFor('live at the origin', async () => ((await fetch(viaOrigin(`/${pid}/media.m3u8`))).status === 200 ? true : undefined), 30_000);

  // ffprobe decodes the stream through the cache
  const p = await probe(viaNginx(`/${pid}.m3u8`), 3);
  const v = p.streams.find((s) => s.codec_type === 'video');
  assert.ok(v && v.codec_name === 'h264' && Number(v.nb_read_frames) > 30, `decoded through nginx: ${JSON.stringify(p)}`);
  assert.ok(p.streams.some((s) => s.codec_type === 'audio'), 'audio too');

  // a segment: first MISS (or HIT if ffprobe fetched it already), then HIT, the origin's bytes every time
  const playlist = await (await fetch(viaNginx(`/${pid}/media.m3u8`))).text();
  const segs = [...playlist.matchAll(/^(seg-\d+\.m4s)/gm)].map((m) => m[1]!);
  assert.ok(segs.length >= 2, playlist);
  const seg = segs[0]!;
  const first = await fetch(viaNginx(`/${pid}/${seg}`));
  assert.equal(first.status, 200);
  assert.match(first.headers.get('x-cache-status') ?? '', /^(MISS|HIT)$/);
  const firstBytes = Buffer.from(await first.arrayBuffer());
  const second = await fetch(viaNginx(`/${pid}/${seg}`));
  assert.equal(second.status, 200);
  assert.equal(second.headers.get('x-cache-status'), 'HIT');
  const secondBytes = Buffer.from(await second.arrayBuffer());
  const origin = Buffer.from(await (await fetch(viaOrigin(`/${pid}/${seg}`))).arrayBuffer());
  assert.ok(firstBytes.equals(origin) && secondBytes.equals(origin), 'byte-identical to the origin');
  // an irrelevant query does not split the cache of an immutable object
  assert.equal((await fetch(viaNginx(`/${pid}/${seg}?cb=1`))).headers.get('x-cache-status'), 'HIT');

  // the init segment and a part are cached too
  const init = /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)![1]!;
  await fetch(viaNginx(`/${pid}/${init}`)).then((r) => r.arrayBuffer());
  assert.equal((await fetch(viaNginx(`/${pid}/${init}`))).headers.get('x-cache-status'), 'HIT');
  const part = /#EXT-X-PART:[^\n]*URI="([^"]+)"/.exec(playlist)![1]!;
  await fetch(viaNginx(`/${pid}/${part}`)).then((r) => r.arrayBuffer());
  assert.equal((await fetch(viaNginx(`/${pid}/${part}`))).headers.get('x-cache-status'), 'HIT');

  // 20 viewers block on the same next part: one request reaches the origin
  const latest = await (await fetch(viaOrigin(`/${pid}/media.m3u8`))).text();
  const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-(\d+)\.(\d+)\.m4s"/.exec(latest);
  assert.ok(hint, latest);
  const [msn, idx] = [Number(hint[1]), Number(hint[2])];
  const before = await originPlaylistRequests();
  const answers = await Promise.all(Array.from({ length: 20 }, () =>
    fetch(viaNginx(`/${pid}/media.m3u8?_HLS_msn=${msn}&_HLS_part=${idx}`)).then(async (r) => ({ status: r.status, text: await r.text(), cache: r.headers.get('x-cache-status') }))));
  for (const a of answers) {
    assert.equal(a.status, 200);
    assert.match(a.text, new RegExp(`part-${msn}\\.${idx}\\.m4s`), 'the awaited part is in the playlist');
    assert.equal(a.text, answers[0]!.text, 'every viewer got the same playlist');
  }
  const upstream = (await originPlaylistRequests()) - before;
  assert.ok(upstream >= 1 && upstream <= 2, `20 blocking reloads made ${upstream} origin requests`);
  assert.ok(answers.filter((a) => a.cache === 'HIT').length >= 18, answers.map((a) => a.cache).join(','));
});

test('a private id: the token is part of the cache key; no token is never served from the cache', { timeout: 120_000 }, async () => {
  const key = await srv.request('POST', '/v1/iam/signing-keys', {});
  assert.equal(key.status, 201, key.text);
  const { kid, privateKey } = { kid: key.body.data.id as string, privateKey: Buffer.from(key.body.data.privateKey as string, 'base64').toString('utf8') };
  const { pid } = await startStream('private');
  const { importPKCS8, SignJWT } = await import('jose');
  const sk = await importPKCS8(privateKey, 'RS256');
  const token = await new SignJWT({ kid }).setProtectedHeader({ alg: 'RS256', kid }).setAudience(pid)
    .setExpirationTime(Math.floor(Date.now() / 1000) + 600).sign(sk);
  await waitFor('live at the origin', async () => ((await fetch(viaOrigin(`/${pid}/media.m3u8?token=${token}`))).status === 200 ? true : undefined), 30_000);
  const playlist = await (await fetch(viaNginx(`/${pid}/media.m3u8?token=${token}`))).text();
  const seg = /^(seg-\d+\.m4s\?token=[^\s]+)/m.exec(playlist)?.[1];
  assert.ok(seg, `segment URIs carry the token: ${playlist}`);
  await fetch(viaNginx(`/${pid}/${seg}`)).then((r) => r.arrayBuffer());
  assert.equal((await fetch(viaNginx(`/${pid}/${seg}`))).headers.get('x-cache-status'), 'HIT');
  // the same segment without the token goes to the origin, which refuses it
  const bare = await fetch(viaNginx(`/${pid}/${seg.split('?')[0]}`));
  assert.equal(bare.status, 403);
  assert.notEqual(bare.headers.get('x-cache-status'), 'HIT');
  const again = await fetch(viaNginx(`/${pid}/${seg.split('?')[0]}`));
  assert.equal(again.status, 403, 'a refusal is not cached into a success either');
});
