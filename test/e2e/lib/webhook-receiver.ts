/** A webhook endpoint for tests: records every delivery and checks its FastPix-Signature. */
import { createServer, type Server } from 'node:http';
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface Delivery {
  type: string;
  id: string;
  body: any;
  signatureOk: boolean;
}

export class WebhookReceiver {
  readonly deliveries: Delivery[] = [];
  private server: Server | undefined;
  constructor(private readonly secretBase64: string) {}

  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const expected = createHmac('sha256', Buffer.from(this.secretBase64, 'base64')).update(raw).digest('base64');
        const body = JSON.parse(raw.toString('utf8'));
        this.deliveries.push({ type: body.type, id: body.id, body, signatureOk: req.headers['fastpix-signature'] === expected });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  /** Event types for one stream, in delivery order, without duplicates (receivers dedupe on id). */
  typesFor(streamId: string): string[] {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const d of this.deliveries) {
      if (d.body?.object?.id !== streamId || seen.has(d.id)) continue;
      seen.add(d.id);
      out.push(d.type);
    }
    return out;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
