/** `onair serve`: start the server with the configuration table's flags/env vars, print what operators need, stop on SIGINT/SIGTERM. */
import { availableParallelism } from 'node:os';
import { Command } from 'commander';
import { pino } from 'pino';
import { UsageError, addServeOptions, configFromOptions, isPostgresUrl, type ServerConfig } from '../config.js';
import { startServer, type Bootstrapped, type ServerHooks } from '../server.js';
import { isWorkerProcess, runWorker, startPrimary } from '../cluster/workers.js';
import { operatorSummary } from './operator-summary.js';

export function serveCommand(hooks: ServerHooks = {}): Command {
  const cmd = new Command('serve').description('run the onair server: REST API, webhooks, RTMP/RTMPS and SRT ingest, LL-HLS playback');
  addServeOptions(cmd);
  cmd.action(async (opts: Record<string, unknown>) => {
    // a worker of `serve --workers N`: its configuration comes from the primary
    if (isWorkerProcess()) return runWorker(hooks);
    let config: ServerConfig;
    try {
      config = configFromOptions(opts);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      console.error(`onair: ${err.message}`);
      process.exit(err.exitCode);
    }
    const logger = hooks.logger ?? pino({ level: config.logLevel });
    if ((opts.workers === undefined || opts.workers === '') && !isPostgresUrl(config.database) && availableParallelism() > 1) {
      logger.info('SQLite runs one process; use --database postgres://... for --workers');
    }
    const printStarted = (boot: Bootstrapped, apiPort: number) => {
      if (boot.createdAdminToken) {
        console.log('onair: created an admin access token (shown once; store it now):');
        console.log(`  ONAIR_TOKEN_ID=${boot.createdAdminToken.id}`);
        console.log(`  ONAIR_TOKEN_SECRET=${boot.createdAdminToken.secret}`);
      }
      if (boot.generatedWebhookSecret) {
        console.log(`onair: webhook signing secret for --webhook-url endpoints (shown once): ${boot.generatedWebhookSecret}`);
      }
      console.log(operatorSummary(config, apiPort));
    };
    let stop: (signal: NodeJS.Signals) => Promise<number>;
    if (config.workers > 1) {
      // node:cluster: this process is the primary; the workers listen (src/cluster/workers.ts)
      const primary = await startPrimary(config, logger);
      printStarted(primary.boot, primary.apiPort);
      stop = (signal) => primary.stop(signal);
    } else {
      const server = await startServer(config, { ...hooks, logger });
      printStarted(server, server.apiPort);
      stop = async () => {
        await server.close();
        return 0;
      };
    }
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      stop(signal).then((code) => process.exit(code), (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
  });
  return cmd;
}
