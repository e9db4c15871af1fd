// Runs node-media-server v2 in its own process for the benchmark (plain JS: no TypeScript loader in the measured process).
// Usage: node bench/peers/nms-main.mjs '<config json>'
import net from 'node:net';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

// NMS v2 listens on every interface and has no host option; the benchmark keeps all traffic on loopback,
// so a numeric-port listen() without a host is pinned to 127.0.0.1.
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function pinnedListen(...args) {
  if (typeof args[0] === 'number' && typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1');
  return listen.apply(this, args);
};

// NMS 2.7.4's trans server logs an undeclared `version` after wiring its handlers: a ReferenceError in an
// async function. Its handlers are already registered, so the rejection is harmless; anything else is fatal.
process.on('unhandledRejection', (err) => {
  if (err instanceof ReferenceError && /version/.test(err.message)) return;
  console.error('nms-main: unhandled rejection', err);
  process.exit(1);
});

const NodeMediaServer = require('node-media-server');
const config = JSON.parse(process.argv[2] ?? '{}');
const nms = new NodeMediaServer(config);
nms.run();
process.on('SIGTERM', () => {
  nms.stop();
  process.exit(0);
});
