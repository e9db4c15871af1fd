/**
 * `onair doctor`: checks what `onair serve` needs on this machine and says what to fix: Node, ffmpeg, the libsrt
 * binding, the ports (free, or held by a running onair), disk space under the data directory, the database, and
 * the clock. Takes the same flags / ONAIR_* variables as `serve`. Exit code 1 when any check fails.
 */
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, statfsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { addServeOptions, configFromOptions, isPostgresUrl, type ServerConfig } from '../config.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';
export interface CheckResult {
  check: string;
  status: CheckStatus;
  detail: string;
  /** what to do about it (warn/fail) */
  fix?: string;
}

const GiB = 1024 ** 3;

function checkNode(): CheckResult {
  const major = Number(process.versions.node.split('.')[0]);
  return major >= 20
    ? { check: 'node', status: 'ok', detail: `Node.js ${process.versions.node}` }
    : { check: 'node', status: 'fail', detail: `Node.js ${process.versions.node} is too old`, fix: 'install Node.js 20 or newer (https://nodejs.org or your distribution\'s nodejs package)' };
}

function checkFfmpeg(): CheckResult[] {
  const out: CheckResult[] = [];
  for (const tool of ['ffmpeg', 'ffprobe']) {
    const r = spawnSync(tool, ['-hide_banner', '-version'], { encoding: 'utf8', timeout: 10_000 });
    if (r.error || r.status !== 0) {
      out.push({
        check: tool, status: 'fail',
        detail: `${tool} not found on PATH${r.error && (r.error as NodeJS.ErrnoException).code !== 'ENOENT' ? ` (${r.error.message})` : ''}; onair needs it to transcode and to draw thumbnails`,
        fix: 'install it: `sudo apt-get install ffmpeg` (Debian/Ubuntu), `sudo dnf install ffmpeg` (Fedora), `brew install ffmpeg` (macOS)',
      });
    } else {
      const version = /version (\S+)/.exec(r.stdout)?.[1] ?? 'unknown version';
      out.push({ check: tool, status: 'ok', detail: `${tool} ${version}` });
    }
  }
  return out;
}

async function checkSrt(): Promise<CheckResult> {
  try {
    const { loadSrtAddon } = await import('../ingest/srt/native.js');
    return { check: 'libsrt', status: 'ok', detail: `SRT binding loaded, libsrt ${loadSrtAddon().libsrtVersion}` };
  } catch (err) {
    return {
      check: 'libsrt', status: 'fail', detail: `SRT binding not usable: ${(err as Error).message.split('\n')[0]}`,
      fix: 'install libsrt and a compiler (`sudo apt-get install libsrt-openssl-dev build-essential`), then `npm run build:native`',
    };
  }
}

function tryTcp(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', (err) => res(err as NodeJS.ErrnoException));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => res(undefined)));
  });
}

function tryUdp(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((res) => {
    const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    sock.once('error', (err) => { sock.close(); res(err as NodeJS.ErrnoException); });
    sock.bind({ address: host, port, exclusive: true }, () => sock.close(() => res(undefined)));
  });
}

async function onairAnswersOn(host: string, port: number): Promise<boolean> {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  try {
    const r = await fetch(`http://${h}:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
    const body = await r.json() as { success?: boolean; data?: { status?: string } };
    return body?.data?.status === 'ok';
  } catch {
    return false;
  }
}

async function checkPorts(c: ServerConfig): Promise<CheckResult[]> {
  const running = await onairAnswersOn(c.host, c.apiPort);
  const ports: [string, number, 'tcp' | 'udp', string][] = [
    ['api port', c.apiPort, 'tcp', '--api-port'], ['playback port', c.playbackPort, 'tcp', '--playback-port'],
    ['rtmp port', c.rtmpPort, 'tcp', '--rtmp-port'], ['srt port', c.srtPort, 'udp', '--srt-port'],
  ];
  if (c.tlsCert) ports.push(['rtmps port', c.rtmpsPort, 'tcp', '--rtmps-port']);
  const out: CheckResult[] = [];
  for (const [name, port, proto, flag] of ports) {
    const err = proto === 'tcp' ? await tryTcp(c.host, port) : await tryUdp(c.host, port);
    const where = `${c.host}:${port}/${proto}`;
    if (!err) out.push({ check: name, status: 'ok', detail: `${where} is free` });
    else if (err.code === 'EADDRINUSE' && running) out.push({ check: name, status: 'ok', detail: `${where} is in use; onair is running (its /healthz answers on ${c.apiPort})` });
    else if (err.code === 'EADDRINUSE') {
      out.push({ check: name, status: 'fail', detail: `${where} is in use by another program`, fix: `find it with \`sudo ss -lnp${proto === 'udp' ? 'u' : 't'} 'sport = :${port}'\`, stop it, or pick another port with ${flag}` });
    } else if (err.code === 'EACCES') {
      out.push({ check: name, status: 'fail', detail: `binding ${where} needs privileges (ports below 1024)`, fix: `run under systemd with AmbientCapabilities=CAP_NET_BIND_SERVICE (deploy/onair.service), or \`sudo setcap cap_net_bind_service=+ep ${process.execPath}\`, or use ${flag} with a port above 1023` });
    } else if (err.code === 'EADDRNOTAVAIL') {
      out.push({ check: name, status: 'fail', detail: `${c.host} is not an address of this machine`, fix: 'use --host 0.0.0.0 (all addresses) or one shown by `ip -br addr`' });
    } else out.push({ check: name, status: 'fail', detail: `cannot bind ${where}: ${err.message}` });
  }
  return out;
}

function checkDisk(c: ServerConfig): CheckResult {
  let dir = resolve(c.dataDir);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    const st = statfsSync(dir);
    const free = st.bavail * st.bsize;
    const detail = `${(free / GiB).toFixed(1)} GiB free under ${dir}${dir !== resolve(c.dataDir) ? ` (data directory ${c.dataDir} does not exist yet)` : ''}`;
    if (free < 1 * GiB) return { check: 'disk', status: 'fail', detail, fix: 'free disk space or point --data at a larger volume; recordings and the database grow there' };
    if (free < 10 * GiB) return { check: 'disk', status: 'warn', detail, fix: 'less than 10 GiB left: recordings will fill it quickly' };
    return { check: 'disk', status: 'ok', detail };
  } catch (err) {
    return { check: 'disk', status: 'warn', detail: `cannot read free space of ${dir}: ${(err as Error).message}` };
  }
}

async function checkDatabase(c: ServerConfig): Promise<CheckResult> {
  const what = isPostgresUrl(c.database) ? c.database.replace(/\/\/[^@/]*@/, '//***@') : c.database;
  if (!isPostgresUrl(c.database) && !existsSync(c.database)) {
    return { check: 'database', status: 'ok', detail: `SQLite ${what} does not exist yet; \`onair serve\` creates it` };
  }
  try {
    const { Store } = await import('../store/store.js');
    const { countTokens } = await import('../store/token-repo.js');
    const store = await Store.open(c.database);
    try {
      const n = await countTokens(store.db);
      return { check: 'database', status: n > 0 ? 'ok' : 'warn', detail: `${what} opens and is migrated; ${n} access token${n === 1 ? '' : 's'}`, ...(n === 0 ? { fix: 'create one with `onair tokens create`' } : {}) };
    } finally {
      await store.close();
    }
  } catch (err) {
    return {
      check: 'database', status: 'fail', detail: `${what}: ${(err as Error).message.split('\n')[0]}`,
      fix: isPostgresUrl(c.database) ? 'check that Postgres runs, and the URL, user and password' : 'check the file\'s permissions and that no other program locks it',
    };
  }
}

function checkClock(): CheckResult {
  const r = spawnSync('timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], { encoding: 'utf8', timeout: 5000 });
  const v = r.status === 0 ? r.stdout.trim() : '';
  const now = new Date().toISOString();
  if (v === 'yes') return { check: 'clock', status: 'ok', detail: `synchronised (NTP), ${now}` };
  if (v === 'no') {
    return { check: 'clock', status: 'warn', detail: `not synchronised, ${now}`, fix: 'enable NTP (`sudo timedatectl set-ntp true`): playback JWT expiry and webhook timestamps depend on the clock' };
  }
  return { check: 'clock', status: 'warn', detail: `cannot tell whether the clock is synchronised (no timedatectl), ${now}`, fix: 'make sure NTP (chrony, systemd-timesyncd) runs: playback JWT expiry depends on the clock' };
}

export async function runDoctor(c: ServerConfig): Promise<CheckResult[]> {
  return [checkNode(), ...checkFfmpeg(), await checkSrt(), ...(await checkPorts(c)), checkDisk(c), await checkDatabase(c), checkClock()];
}

export function doctorCommand(): Command {
  const cmd = new Command('doctor').description('check ffmpeg, libsrt, ports, disk space, the database and the clock, and say what to fix');
  addServeOptions(cmd);
  cmd.option('--json', 'print the checks as JSON');
  cmd.action(async (opts: Record<string, unknown>) => {
    const results = await runDoctor(configFromOptions(opts));
    if (opts.json) console.log(JSON.stringify(results, null, 2));
    else {
      for (const r of results) {
        console.log(`${r.status === 'ok' ? 'ok  ' : r.status === 'warn' ? 'warn' : 'FAIL'}  ${r.check.padEnd(13)} ${r.detail}`);
        if (r.fix && r.status !== 'ok') console.log(`      ${''.padEnd(13)} fix: ${r.fix}`);
      }
      const failed = results.filter((r) => r.status === 'fail').length;
      console.log(failed ? `\n${failed} problem${failed === 1 ? '' : 's'} to fix before \`onair serve\`` : '\nready for `onair serve`');
    }
    if (results.some((r) => r.status === 'fail')) process.exitCode = 1;
  });
  return cmd;
}
