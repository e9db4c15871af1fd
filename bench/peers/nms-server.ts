/** node-media-server v2 as a peer: RTMP in Node, HLS by one ffmpeg remux child per stream (its `trans` task). */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { makeTempDir, removeTempDir, spawnTracked, stopChild } from '../lib/child-registry.js';
import { freePorts } from '../lib/free-port.js';
import { benchDir } from '../lib/test-clip.js';
import { waitFor, fetchWithTimeout } from '../lib/wait.js';
import type { MediaServer, StreamEndpoints } from './media-server.js';

function nmsVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    const pkgPath = require.resolve('node-media-server/package.json');
    return (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

export class NmsServer implements MediaServer {
  readonly name = 'nms';
  readonly description = `node-media-server ${nmsVersion()}, HLS via ffmpeg -c copy per stream (hls_time=1, list 6)`;
  private child: ChildProcess | undefined;
  private dir = '';
  private rtmpPort = 0;
  private httpPort = 0;
  private output = '';

  async start(): Promise<void> {
    this.dir = makeTempDir('onair-bench-nms-');
    [this.rtmpPort, this.httpPort] = await freePorts(2);
    const config = {
      logType: 1, // errors only
      rtmp: { port: this.rtmpPort, chunk_size: 60000, gop_cache: true, ping: 30, ping_timeout: 60 },
      http: { port: this.httpPort, mediaroot: this.dir, allow_origin: '*' },
      trans: {
        ffmpeg: '/usr/bin/ffmpeg',
        tasks: [{
          app: 'live',
          hls: true,
          // Same window as nginx: 1 s fragments, 6 in the playlist.
          hlsFlags: '[hls_time=1:hls_list_size=6:hls_flags=delete_segments]',
          hlsKeep: false,
        }],
      },
    };
    this.child = spawnTracked(process.execPath, [join(benchDir, 'peers', 'nms-main.mjs'), JSON.stringify(config)]);
    const keep = (chunk: Buffer): void => { this.output = (this.output + chunk.toString()).slice(-2000); };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    await waitFor('nms http listener', async () => {
      if (this.child?.exitCode !== null) throw new Error(`nms exited: ${this.output.slice(-300)}`);
      const res = await fetchWithTimeout(`http://127.0.0.1:${this.httpPort}/api/server`, {}, 1000);
      await res.body?.cancel();
      return true;
    }, 15_000, 150);
  }

  async createStream(index: number): Promise<StreamEndpoints> {
    const name = `s${index}`;
    return {
      publishUrl: `rtmp://127.0.0.1:${this.rtmpPort}/live/${name}`,
      playUrl: `http://127.0.0.1:${this.httpPort}/live/${name}/index.m3u8`,
    };
  }

  rootPid(): number {
    return this.child?.pid ?? -1;
  }

  playbackOrigin(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  logTail(): string {
    return this.output.slice(-500);
  }

  async stop(): Promise<void> {
    if (this.child) await stopChild(this.child);
    if (this.dir) removeTempDir(this.dir);
  }
}
