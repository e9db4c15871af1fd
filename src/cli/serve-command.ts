/** `onair serve`: start the server with the configuration table's flags/env vars, print what operators need, stop on SIGINT/SIGTERM. */
import { Command } from 'commander';
import { addServeOptions, configFromOptions } from '../config.js';
import { startServer, type ServerHooks } from '../server.js';
import { operatorSummary } from './operator-summary.js';

export function serveCommand(hooks: ServerHooks = {}): Command {
  const cmd = new Command('serve').description('run the onair server: REST API, webhooks, RTMP/RTMPS and SRT ingest, LL-HLS playback');
  addServeOptions(cmd);
  cmd.action(async (opts: Record<string, unknown>) => {
    const config = configFromOptions(opts);
    const server = await startServer(config, hooks);
    if (server.createdAdminToken) {
      console.log('onair: created an admin access token (shown once; store it now):');
      console.log(`  ONAIR_TOKEN_ID=${server.createdAdminToken.id}`);
      console.log(`  ONAIR_TOKEN_SECRET=${server.createdAdminToken.secret}`);
    }
    if (server.generatedWebhookSecret) {
      console.log(`onair: webhook signing secret for --webhook-url endpoints (shown once): ${server.generatedWebhookSecret}`);
    }
    console.log(operatorSummary(config, server.apiPort));
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      server.logger.info({ signal }, 'shutting down');
      server.close().then(() => process.exit(0), (err: unknown) => {
        server.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
  return cmd;
}
