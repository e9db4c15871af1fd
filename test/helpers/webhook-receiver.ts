/**
 * A webhook receiver for tests: an HTTP server on a fixed free port that can be taken down and brought back
 * (connections are refused while down), records every POST with its raw body and headers, and can answer
 * with a chosen status.
 */
import { createServer, type Server } from 'node:http';
import { freePort } from './ports.js';

export interface ReceivedHook {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: any;
}

export class WebhookReceiver {
  /** accepted deliveries (2xx answers) */
  readonly received: ReceivedHook[] = [];
  /** every POST seen, accepted or not */
  attempts = 0;
  /** status answered to every POST (set to 500 to make onair retry) */
  status = 200;
  private server: Server | undefined;

  private constructor(readonly port: number) {}

  static async create(): Promise<WebhookReceiver> {
    return new WebhookReceiver(await freePort());
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async up(): Promise<void> {
    if (this.server) return;
    const srv = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.attempts++;
        if (this.status >= 200 && this.status < 300) {
          let json: unknown;
          try { json = JSON.parse(body); } catch { json = undefined; }
          this.received.push({ path: req.url ?? '', headers: req.headers, body, json });
        }
        res.writeHead(this.status).end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = srv;
  }

  async down(): Promise<void> {
    const srv = this.server;
    this.server = undefined;
    if (!srv) return;
    srv.closeAllConnections();
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  }
}
