/** nginx + libnginx-mod-rtmp as a peer: RTMP ingest, HLS (MPEG-TS) written to tmpfs and served by nginx itself. */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync, chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, removeTempDir, spawnTracked, stopChild } from '../lib/child-registry.js';
import { freePorts } from '../lib/free-port.js';
import { dirBytes } from '../lib/proc-mem.js';
import { waitFor, fetchWithTimeout } from '../lib/wait.js';
import type { MediaServer, StreamEndpoints } from './media-server.js';

const RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';

/** `workers`: nginx worker_processes (the HLS files are written by the worker holding the publisher and served by any). */
export function nginxConfig(dir: string, hlsDir: string, rtmpPort: number, httpPort: number, workers = 1): string {
  const runAsRoot = process.getuid?.() === 0;
  return `# written by bench/peers/nginx-server.ts
load_module ${RTMP_MODULE};
${runAsRoot ? 'user root root;' : ''}
worker_processes ${workers};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
rtmp {
  server {
    listen 127.0.0.1:${rtmpPort};
    chunk_size 4096;
    application live {
      live on;
      hls on;
      hls_path ${hlsDir};
      hls_fragment 1s;
      hls_playlist_length 6s;
    }
  }
}
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${httpPort};
    location /hls/ {
      types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; }
      alias ${hlsDir}/;
      add_header Cache-Control no-cache;
      add_header Access-Control-Allow-Origin *;
    }
    location / { return 404; }
  }
}
`;
}

export class NginxServer implements MediaServer {
  readonly name = 'nginx-hls';
  description: string;
  private child: ChildProcess | undefined;
  private dir = '';
  private rtmpPort = 0;
  private httpPort = 0;

  constructor(readonly workers = 1) {
    this.description = `nginx + nginx-rtmp, ${workers} worker${workers === 1 ? '' : 's'}, HLS (TS) on tmpfs`;
  }

  async start(): Promise<void> {
    this.dir = makeTempDir('onair-bench-nginx-');
    const hlsDir = join(this.dir, 'hls');
    mkdirSync(hlsDir);
    chmodSync(this.dir, 0o777);
    chmodSync(hlsDir, 0o777);
    [this.rtmpPort, this.httpPort] = await freePorts(2);
    writeFileSync(join(this.dir, 'nginx.conf'), nginxConfig(this.dir, hlsDir, this.rtmpPort, this.httpPort, this.workers));
    this.child = spawnTracked('nginx', ['-p', this.dir, '-c', join(this.dir, 'nginx.conf'), '-g', 'daemon off;']);
    let stderr = '';
    this.child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    await waitFor('nginx http listener', async () => {
      if (this.child?.exitCode !== null) throw new Error(`nginx exited: ${stderr.slice(-300)}`);
      const res = await fetchWithTimeout(`http://127.0.0.1:${this.httpPort}/`, {}, 1000);
      await res.body?.cancel();
      return true;
    }, 10_000, 100);
    const version = /nginx\/([\d.]+)/.exec(spawnSync('nginx', ['-v'], { encoding: 'utf8', timeout: 5000 }).stderr ?? '')?.[1];
    if (version) this.description += ` (nginx ${version})`;
  }

  async createStream(index: number): Promise<StreamEndpoints> {
    const name = `s${index}`;
    return {
      publishUrl: `rtmp://127.0.0.1:${this.rtmpPort}/live/${name}`,
      playUrl: `http://127.0.0.1:${this.httpPort}/hls/${name}.m3u8`,
    };
  }

  rootPid(): number {
    return this.child?.pid ?? -1;
  }

  playbackOrigin(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  /** the HLS window nginx keeps as files on tmpfs: page cache, not in its processes' PSS */
  extraMemoryBytes(): number {
    return this.dir ? dirBytes(join(this.dir, 'hls')) : 0;
  }

  errorLogTail(): string {
    try {
      return readFileSync(join(this.dir, 'error.log'), 'utf8').slice(-500);
    } catch {
      return '';
    }
  }

  async stop(): Promise<void> {
    if (this.child) await stopChild(this.child);
    if (this.dir) removeTempDir(this.dir);
  }
}
