/** /v1/iam/signing-keys, /v1/openapi.json, /metrics and /healthz over HTTP on both engines. */
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, createSign, createVerify } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { forEachEngine } from '../helpers/engines.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

forEachEngine((engine, database) => {
  describe(`signing keys and system routes (${engine})`, () => {
    let srv: TestServer;
    before(async () => { srv = await startTestServer({ database: await database() }); });
    after(async () => { await srv?.stop(); });

    test('create returns a base64 PKCS#8 RSA-2048 private key once; get returns the matching public PEM', async () => {
      const c = await srv.request('POST', '/v1/iam/signing-keys');
      assert.equal(c.status, 201, c.text);
      const { id, privateKey, createdAt } = c.body.data;
      assert.deepEqual(Object.keys(c.body.data), ['id', 'privateKey', 'createdAt']);
      assert.match(createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      const pem = Buffer.from(privateKey, 'base64').toString('utf8');
      assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/);
      const priv = createPrivateKey(pem);
      assert.equal(priv.asymmetricKeyDetails?.modulusLength, 2048);
      const g = await srv.request('GET', `/v1/iam/signing-keys/${id}`);
      assert.equal(g.status, 200);
      assert.deepEqual(Object.keys(g.body.data), ['workspaceId', 'signingKeyId', 'publicKey']);
      assert.equal(g.body.data.signingKeyId, id);
      assert.match(g.body.data.workspaceId, /^[0-9a-f-]{36}$/);
      assert.match(g.body.data.publicKey, /^-----BEGIN PUBLIC KEY-----\n/);
      const sig = createSign('RSA-SHA256').update('x').sign(priv);
      assert.ok(createVerify('RSA-SHA256').update('x').verify(createPublicKey(g.body.data.publicKey), sig));
      assert.equal(g.text.includes('PRIVATE'), false);
    });

    test('list paginates; delete answers data.message; unknown id is the signing-key 404', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) ids.push((await srv.request('POST', '/v1/iam/signing-keys')).body.data.id);
      const l = await srv.request('GET', '/v1/iam/signing-keys?limit=1');
      assert.equal(l.status, 200);
      assert.equal(l.body.data.length, 1);
      assert.deepEqual(Object.keys(l.body.data[0]), ['id', 'createdAt']);
      const total = l.body.pagination.totalRecords;
      assert.ok(total >= 2);
      assert.deepEqual(l.body.pagination, { totalRecords: total, currentOffset: 1, offsetCount: total });
      assert.equal((await srv.request('GET', '/v1/iam/signing-keys?offset=0')).status, 422);
      const d = await srv.request('DELETE', `/v1/iam/signing-keys/${ids[0]}`);
      assert.deepEqual(d.body, { success: true, data: { message: 'signing key deleted successfully' } });
      const nf = await srv.request('GET', `/v1/iam/signing-keys/${ids[0]}`);
      assert.equal(nf.status, 404);
      assert.equal(nf.body.error.code, 404);
      assert.equal(nf.body.error.message, 'Signing key Not Found');
      assert.equal((await srv.request('DELETE', `/v1/iam/signing-keys/${ids[0]}`)).status, 404);
    });

    test('/v1/openapi.json documents the /v1 routes from the validation schemas', async () => {
      const r = await srv.request('GET', '/v1/openapi.json', undefined, { auth: null });
      assert.equal(r.status, 200);
      const doc = r.body;
      assert.match(doc.openapi, /^3\./);
      for (const p of ['/v1/live/streams', '/v1/live/streams/{streamId}', '/v1/live/streams/{streamId}/finish', '/v1/live/streams/{streamId}/playback-ids',
        '/v1/live/streams/{streamId}/simulcast/{simulcastId}', '/v1/iam/signing-keys/{signingKeyId}', '/v1/onair/webhooks']) {
        assert.ok(doc.paths[p], `missing ${p}`);
      }
      const create = doc.paths['/v1/live/streams'].post;
      const schema = create.requestBody.content['application/json'].schema;
      assert.equal(schema.properties.inputMediaSettings.properties.reconnectWindow.maximum, 1800);
      assert.equal(schema.properties.inputMediaSettings.properties.metadata.maxProperties, 10);
      assert.ok(create.responses['201']);
      assert.equal(doc.components.securitySchemes.BasicAuth.scheme, 'basic');
      assert.equal(doc.paths['/healthz'], undefined);
    });

    test('/metrics serves Prometheus text without auth; /healthz answers 200', async () => {
      const m = await srv.request('GET', '/metrics', undefined, { auth: null });
      assert.equal(m.status, 200);
      assert.match(m.headers.get('content-type') ?? '', /text\/plain/);
      assert.match(m.text, /# TYPE onair_api_requests_total counter/);
      assert.match(m.text, /onair_process_cpu_user_seconds_total/);
      const h = await srv.request('GET', '/healthz', undefined, { auth: null });
      assert.equal(h.status, 200);
    });
  });
});
