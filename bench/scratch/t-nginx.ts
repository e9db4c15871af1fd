import { NginxServer } from '/work/main/bench/peers/nginx-server.js';
import { ensureClip } from '/work/main/bench/lib/test-clip.js';
import { Publisher } from '/work/main/bench/lib/publisher.js';
import { fetchMediaPlaylist } from '/work/main/bench/lib/hls-playlist.js';
import { sleep } from '/work/main/bench/lib/wait.js';
import { stopAll } from '/work/main/bench/lib/child-registry.js';
const t0 = Date.now();
const clip = await ensureClip(console.log);
console.log('clip', Date.now() - t0);
const s = new NginxServer();
await s.start();
console.log(s.description, s.rootPid());
const ep = await s.createStream(0);
const p = new Publisher(clip, ep.publishUrl, 60);
for (let i = 0; i < 8; i++) {
  await sleep(1500);
  try { const info = await fetchMediaPlaylist(ep.playUrl); console.log(info.progress, info.segments.slice(-1), p.recentRate(4000), p.speed); } catch (e) { console.log(String(e), p.lastError, s.errorLogTail()); }
}
await p.stop(); await s.stop(); await stopAll();
