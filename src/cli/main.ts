/** The `onair` command line: serve, tokens, webhooks, the remote verbs, doctor, watch (bin/onair.js runs the compiled form of this file). */
import { Command } from 'commander';
import { serveCommand } from './serve-command.js';
import { startMediaPlane } from '../media-plane.js';
import { tokensCommand } from './tokens-command.js';
import { webhooksCommand } from './webhooks-command.js';
import { keysCommand, playbackIdsCommand, simulcastsCommand, streamsCommand } from './streams-command.js';
import { doctorCommand } from './doctor-command.js';
import { watchCommand } from './watch-command.js';
import { mediaCommand } from './media-command.js';

export function buildProgram(): Command {
  const program = new Command('onair')
    .description('self-hostable live streaming that speaks the FastPix live-streaming REST API')
    .version('0.1.0');
  program.addCommand(serveCommand({ media: startMediaPlane }));
  program.addCommand(tokensCommand());
  program.addCommand(webhooksCommand());
  program.addCommand(streamsCommand());
  program.addCommand(playbackIdsCommand());
  program.addCommand(simulcastsCommand());
  program.addCommand(keysCommand());
  program.addCommand(mediaCommand());
  program.addCommand(watchCommand());
  program.addCommand(doctorCommand());
  return program;
}

buildProgram().parseAsync(process.argv).catch((err: unknown) => {
  console.error(`onair: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
