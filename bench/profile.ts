/**
 * Profiles onair under N RTMP streams: `node --import tsx bench/profile.ts [streams=40] [seconds=30] [--recording] [--fanout]`.
 * Builds bench/out/dist, runs onair with --cpu-prof, publishes N looping clips for the window, stops onair
 * (SIGTERM: node writes the profile on exit) and prints the top self-time functions; the .cpuprofile stays in
 * bench/out/prof/ for Chrome DevTools.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { stopAll } from './lib/child-registry.js';
import { buildOnair } from './lib/onair-build.js';
import { cpuSecondsBetween, snapshotCpu } from './lib/proc-cpu.js';
import { FanoutPublisher } from './lib/fanout-publisher.js';
import { StreamFarm } from './lib/stream-farm.js';
import { ensureClip, outDir } from './lib/test-clip.js';
import { sleep } from './lib/wait.js';
import { OnairServer } from './peers/onair-server.js';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

/** Self time per function (name + file:line) in ms, highest first. */
export function selfTimes(profile: Profile): Array<{ name: string; ms: number }> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    const f = node.callFrame;
    const file = f.url.replace(/^.*\/(dist|src|node_modules)\//, '$1/');
    const key = `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
    totals.set(key, (totals.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  return [...totals].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms);
}

/** utime and stime of one process, seconds (USER_HZ 100), and its minor page faults */
function userSys(pid: number): { user: number; sys: number; faults: number } {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / 100, sys: Number(fields[12]) / 100, faults: Number(fields[7]) };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const positional = args.filter((a) => !a.startsWith('--'));
  const streams = Number(positional[0] ?? 40);
  const seconds = Number(positional[1] ?? 30);
  const log = (line: string): void => console.log(line);
  const clip = await ensureClip(log);
  buildOnair(log);
  const dir = join(outDir, 'prof');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const profiling = !args.includes('--no-prof');
  const server = new OnairServer({ recording: args.includes('--recording'), nodeArgs: [...(profiling ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []),
    ...(args.includes('--heap-snapshot') ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`] : [])] });
  await server.start();
  // --fanout: one fan-out publisher process instead of one ffmpeg per stream (cheap load for hundreds of streams)
  const generator = args.includes('--fanout') ? new FanoutPublisher(clip) : undefined;
  await generator?.start();
  const farm = generator
    ? new StreamFarm(server, clip, seconds + 120, 2000, 6000, 'rtmp', (url) => generator.add(url))
    : new StreamFarm(server, clip, seconds + 120);
  await farm.add(streams, generator ? 20 : 100);
  await farm.waitAllLive(60_000);
  await sleep(5000);
  const before = snapshotCpu(server.rootPid());
  const split0 = userSys(server.rootPid());
  // --heap-snapshot: onair writes a heap snapshot (node --heapsnapshot-signal) half way through the window, into its cwd
  if (args.includes('--heap-snapshot')) {
    await sleep((seconds * 1000) / 2);
    process.kill(server.rootPid(), 'SIGUSR2');
    await sleep((seconds * 1000) / 2);
  } else {
    await sleep(seconds * 1000);
  }
  const cpu = cpuSecondsBetween(before, snapshotCpu(server.rootPid()));
  const split1 = userSys(server.rootPid());
  log(`${streams} streams, ${seconds} s: ${cpu.toFixed(2)} CPU s -> ${(cpu / (streams * seconds / 60)).toFixed(3)} s/stream-min (user ${(split1.user - split0.user).toFixed(2)} s, system ${(split1.sys - split0.sys).toFixed(2)} s, ${split1.faults - split0.faults} minor page faults)`);
  await farm.stop();
  await generator?.stop();
  await server.stop();
  if (!profiling) return;
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
  const times = selfTimes(profile);
  const total = times.reduce((a, t) => a + t.ms, 0);
  log(`profile ${join(dir, file)}: ${(total / 1000).toFixed(1)} s sampled (whole process life)`);
  for (const t of times.slice(0, Number(process.env.TOP ?? 40))) log(`${(t.ms / 1000).toFixed(2).padStart(7)} s ${((100 * t.ms) / total).toFixed(1).padStart(5)} %  ${t.name}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
}).finally(() => stopAll());
