/**
 * One ffmpeg child per image: inputs written to pipes (no temp files), the result read from stdout.
 * Input 0 goes to stdin (`pipe:0`), input i > 0 to file descriptor i + 2 (`pipe:3`, `pipe:4`...): see `inputUrl`.
 * The buffers of an input are written in order, never concatenated first. ffmpeg often stops reading once it
 * has its frame, so write errors (EPIPE) are expected and ignored: the exit status decides.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { ImageProcessError, ImageTimeoutError } from './errors.js';

const STDERR_TAIL = 2048;

export function inputUrl(i: number): string {
  return `pipe:${i === 0 ? 0 : i + 2}`;
}

export interface FfmpegJob {
  ffmpegPath: string;
  args: string[];
  inputs: readonly (readonly Buffer[])[];
  timeoutMs: number;
  /** kill ffmpeg when its output grows beyond this (a runaway filter graph) */
  maxOutputBytes: number;
  /** told of the child as soon as it exists (to kill it on close) */
  onSpawn?: (child: ChildProcess) => void;
}

export function runFfmpeg(job: FfmpegJob): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const extra = Math.max(0, job.inputs.length - 1);
    const stdio: ('pipe' | 'ignore')[] = [job.inputs.length > 0 ? 'pipe' : 'ignore', 'pipe', 'pipe'];
    for (let i = 0; i < extra; i++) stdio.push('pipe');
    let child: ChildProcess;
    try {
      child = spawn(job.ffmpegPath, job.args, { stdio });
    } catch (err) {
      reject(new ImageProcessError(`cannot start ${job.ffmpegPath}`, String(err)));
      return;
    }
    job.onSpawn?.(child);
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderr = '';
    let timedOut = false;
    let overflow = false;
    let spawnError: Error | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, job.timeoutMs);
    child.on('error', (err) => {
      spawnError = err;
    });
    child.stdout!.on('data', (d: Buffer) => {
      outBytes += d.length;
      if (outBytes > job.maxOutputBytes) {
        overflow = true;
        child.kill('SIGKILL');
        return;
      }
      out.push(d);
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-STDERR_TAIL);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) return reject(new ImageTimeoutError(job.timeoutMs));
      if (spawnError) return reject(new ImageProcessError(`cannot run ${job.ffmpegPath}`, spawnError.message));
      if (overflow) return reject(new ImageProcessError(`ffmpeg output exceeded ${job.maxOutputBytes} bytes`));
      if (code !== 0) {
        return reject(new ImageProcessError(`ffmpeg failed (${signal ? `signal ${signal}` : `exit code ${code}`})`, stderr.trim()));
      }
      resolve(out.length === 1 ? out[0]! : Buffer.concat(out, outBytes));
    });
    job.inputs.forEach((buffers, i) => {
      const sink = child.stdio[i === 0 ? 0 : i + 2] as Writable | null;
      if (!sink) return;
      sink.on('error', () => {
        /* EPIPE once ffmpeg has what it needs; the exit status tells success from failure */
      });
      for (const b of buffers) sink.write(b);
      sink.end();
    });
  });
}
