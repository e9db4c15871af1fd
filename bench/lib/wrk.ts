/** Runs wrk against one URL (bounded by its -d) and reads its summary. */
import { spawnTracked } from './child-registry.js';

export interface WrkResult {
  requests: number;
  seconds: number;
  non2xx: number;
  socketErrors: number;
  /** Successful (2xx/3xx) responses per second. */
  goodPerSecond: number;
}

export function parseWrk(text: string): WrkResult {
  const done = /(\d+) requests in ([\d.]+)(us|ms|s|m)\b/.exec(text);
  if (!done) throw new Error(`unexpected wrk output: ${text.slice(0, 200)}`);
  const unit = { us: 1e-6, ms: 1e-3, s: 1, m: 60 }[done[3] as 'us' | 'ms' | 's' | 'm'];
  const requests = Number(done[1]);
  const seconds = Number(done[2]) * unit;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = errs ? Number(errs[1]) + Number(errs[2]) + Number(errs[3]) + Number(errs[4]) : 0;
  return { requests, seconds, non2xx, socketErrors, goodPerSecond: (requests - non2xx) / seconds };
}

export async function runWrk(url: string, seconds: number, connections = 200, threads = 2): Promise<WrkResult> {
  const child = spawnTracked('wrk', [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', '--latency', url]);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`wrk exited ${code}: ${output.slice(-200)}`);
  return parseWrk(output);
}
