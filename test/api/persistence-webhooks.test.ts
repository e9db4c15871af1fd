/**
 * Restarts keep every stream, token, key and undelivered webhook; a receiver that is down for a while still
 * gets every event, signed, in order per stream, once it is back. Both engines.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { forEachEngine } from '../helpers/engines.js';
import { waitFor } from '../helpers/ports.js';
import { basicAuth, runCli, startTestServer, type TestServer } from '../helpers/server.js';
import { WebhookReceiver, type ReceivedHook } from '../helpers/webhook-receiver.js';

const FAST_RETRIES = { ONAIR_WEBHOOK_RETRY_BASE_MS: '50', ONAIR_WEBHOOK_RETRY_CAP_MS: '400', ONAIR_WEBHOOK_POLL_MS: '100' };

/** CONTRACT.md section 9: base64 HMAC-SHA256 of the raw body, keyed with the base64-decoded secret. */
const sign = (body: string, secret: string) => createHmac('sha256', Buffer.from(secret, 'base64')).update(body).digest('base64');

const typesFor = (hooks: ReceivedHook[], streamId: string) =>
  hooks.filter((h) => h.json.object.id === streamId).map((h) => h.json.type);

forEachEngine((engine, database) => {
  describe(`persistence and webhooks (${engine})`, () => {
    let srv: TestServer;
    let receiver: WebhookReceiver;
    let db: string | undefined;
    const secret = randomBytes(32).toString('base64');

    before(async () => {
      db = await database();
      receiver = await WebhookReceiver.create(); // down: connections refused
      srv = await startTestServer({
        ...(db ? { database: db } : {}),
        args: ['--webhook-url', receiver.url(), '--webhook-secret', secret],
        env: FAST_RETRIES,
      });
    });
    after(async () => {
      await srv?.stop();
      await receiver?.down();
    });

    test('events queued while the receiver is down survive a restart and arrive signed, in order', async () => {
      const c = await srv.request('POST', '/v1/live/streams', { playbackSettings: {}, inputMediaSettings: { metadata: { n: '1' } } });
      const id = c.body.data.streamId;
      assert.equal((await srv.request('PATCH', `/v1/live/streams/${id}`, { reconnectWindow: 90 })).status, 200);
      const sim = (await srv.request('POST', `/v1/live/streams/${id}/simulcast`, { url: 'rtmp://example.com/app', streamKey: 'k' })).body.data;
      await srv.request('PUT', `/v1/live/streams/${id}/simulcast/${sim.simulcastId}`, { isEnabled: false });
      await srv.request('DELETE', `/v1/live/streams/${id}/simulcast/${sim.simulcastId}`);
      await srv.request('PUT', `/v1/live/streams/${id}/live-disable`);
      await srv.request('PUT', `/v1/live/streams/${id}/live-enable`);
      const other = (await srv.request('POST', '/v1/live/streams', { playbackSettings: {}, inputMediaSettings: {} })).body.data.streamId;
      await srv.request('DELETE', `/v1/live/streams/${other}`);
      // refused requests queue nothing
      await srv.request('PUT', `/v1/live/streams/${id}/live-enable`);
      await srv.request('PATCH', `/v1/live/streams/${id}`, { reconnectWindow: 1 });

      await srv.restart();
      await receiver.up();
      const expected = [
        'video.live_stream.created', 'video.live_stream.updated',
        'video.live_stream.simulcast_target.created', 'video.live_stream.simulcast_target.updated', 'video.live_stream.simulcast_target.deleted',
        'video.live_stream.disabled', 'video.live_stream.enabled',
      ];
      await waitFor('all webhooks', () => (receiver.received.length >= expected.length + 2 ? true : undefined), 15_000);
      assert.deepEqual(typesFor(receiver.received, id), expected);
      assert.deepEqual(typesFor(receiver.received, other), ['video.live_stream.created', 'video.live_stream.deleted']);
      assert.equal(receiver.received.length, expected.length + 2, 'each event delivered once');

      for (const h of receiver.received) {
        assert.equal(h.headers['fastpix-signature'], sign(h.body, secret), 'FastPix-Signature');
        assert.match(String(h.headers['content-type']), /application\/json/);
      }
      const created = receiver.received.find((h) => h.json.type === 'video.live_stream.created' && h.json.object.id === id)!.json;
      assert.deepEqual(Object.keys(created), ['type', 'object', 'id', 'workspace', 'status', 'data', 'createdAt', 'attempts']);
      assert.deepEqual(created.object, { type: 'live', id });
      assert.match(created.id, /^[0-9a-f-]{36}$/);
      assert.equal(typeof created.workspace.id, 'string');
      assert.equal(typeof created.workspace.name, 'string');
      assert.equal(created.status, 'idle');
      assert.deepEqual(created.attempts, []);
      assert.equal(created.data.streamId, id);
      assert.equal(created.data.streamKey, c.body.data.streamKey);
      assert.deepEqual(created.data.metadata, { n: '1' });
      const updated = receiver.received.find((h) => h.json.type === 'video.live_stream.updated')!.json;
      assert.equal(updated.data.reconnectWindow, 90);
      const disabled = receiver.received.find((h) => h.json.type === 'video.live_stream.disabled')!.json;
      assert.equal(disabled.data.status, 'disabled');
      const simEvent = receiver.received.find((h) => h.json.type === 'video.live_stream.simulcast_target.created')!.json;
      assert.equal(simEvent.data.simulcastId, sim.simulcastId);
      assert.equal(simEvent.data.livestreamId, id);
      assert.equal(new Set(receiver.received.map((h) => h.json.id)).size, receiver.received.length, 'event ids unique');
    });

    test('a receiver answering 500 gets the event again until it answers 2xx', async () => {
      const before = receiver.received.length;
      receiver.status = 500;
      const id = (await srv.request('POST', '/v1/live/streams', { playbackSettings: {}, inputMediaSettings: {} })).body.data.streamId;
      const tried = receiver.attempts;
      await waitFor('two refused attempts', () => (receiver.attempts >= tried + 2 ? true : undefined), 10_000);
      assert.equal(receiver.received.length, before);
      receiver.status = 204;
      await waitFor('retried webhook', () => (receiver.received.length > before ? true : undefined), 10_000);
      assert.deepEqual(typesFor(receiver.received.slice(before), id), ['video.live_stream.created']);
      receiver.status = 200;
    });

    test('restart keeps streams, tokens, signing keys and webhook endpoints', async () => {
      const s = (await srv.request('POST', '/v1/live/streams', { playbackSettings: { accessPolicy: 'private' }, inputMediaSettings: { reconnectWindow: 200 } })).body.data;
      const pid = (await srv.request('POST', `/v1/live/streams/${s.streamId}/playback-ids`, { accessPolicy: 'public' })).body.data.id;
      const key = (await srv.request('POST', '/v1/iam/signing-keys')).body.data.id;
      const made = await runCli(['tokens', 'create', '--data', srv.dataDir, ...(db ? ['--database', db] : []), '--permission', 'read', '--json']);
      const tok = JSON.parse(made.stdout);
      const hooksBefore = (await srv.request('GET', '/v1/onair/webhooks')).body.data;
      const streamBefore = (await srv.request('GET', `/v1/live/streams/${s.streamId}`)).body.data;

      await srv.restart();

      const streamAfter = (await srv.request('GET', `/v1/live/streams/${s.streamId}`)).body.data;
      assert.deepEqual(streamAfter, streamBefore);
      assert.ok(streamAfter.playbackIds.some((p: { id: string }) => p.id === pid));
      assert.equal((await srv.request('GET', `/v1/iam/signing-keys/${key}`)).status, 200);
      assert.equal((await srv.request('GET', '/v1/live/streams', undefined, { auth: basicAuth(tok.id, tok.secret) })).status, 200);
      assert.deepEqual((await srv.request('GET', '/v1/onair/webhooks')).body.data, hooksBefore);
    });

    test('/v1/onair/webhooks: add (secret shown once), get, disable, delete; new endpoints receive new events', async () => {
      const second = await WebhookReceiver.create();
      await second.up();
      try {
        const add = await srv.request('POST', '/v1/onair/webhooks', { url: second.url('/second') });
        assert.equal(add.status, 201, add.text);
        const ep = add.body.data;
        assert.equal(typeof ep.secret, 'string');
        assert.equal(Buffer.from(ep.secret, 'base64').length, 32);
        const g = await srv.request('GET', `/v1/onair/webhooks/${ep.id}`);
        assert.deepEqual(g.body.data, { id: ep.id, url: ep.url, isEnabled: true, createdAt: ep.createdAt });
        const id = (await srv.request('POST', '/v1/live/streams', { playbackSettings: {}, inputMediaSettings: {} })).body.data.streamId;
        await waitFor('second receiver', () => (second.received.length > 0 ? true : undefined), 10_000);
        assert.equal(second.received[0]!.json.object.id, id);
        assert.equal(second.received[0]!.headers['fastpix-signature'], sign(second.received[0]!.body, ep.secret));
        const off = await srv.request('PATCH', `/v1/onair/webhooks/${ep.id}`, { isEnabled: false });
        assert.equal(off.body.data.isEnabled, false);
        assert.equal((await srv.request('POST', '/v1/onair/webhooks', { url: 'ftp://x' })).status, 422);
        assert.equal((await srv.request('DELETE', `/v1/onair/webhooks/${ep.id}`)).status, 200);
        assert.equal((await srv.request('GET', `/v1/onair/webhooks/${ep.id}`)).status, 404);
      } finally {
        await second.down();
      }
    });
  });
});
