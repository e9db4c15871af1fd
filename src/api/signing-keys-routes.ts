/** /v1/iam/signing-keys: RS256 key pairs; the private key (base64 of a PKCS#8 PEM) is returned once, only the public PEM is kept. */
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { newUuid, nowMicroIso } from '../core/streams-ids.js';
import { deleteSigningKey, findSigningKey, insertSigningKey, listSigningKeyPage } from '../store/signing-key-repo.js';
import { notifyMedia, type ApiApp, type ApiDeps } from './api-deps.js';
import { ApiError } from './api-error.js';
import { pageOf, paginationOf } from './pagination.js';
import { SigningKeyCreated, SigningKeyItem, SigningKeyListQuery, SigningKeyParams, SigningKeyPublic, Type, errorResponses, ok, okReply } from './schemas.js';

const tags = ['Signing keys'];
const generateKeyPairAsync = promisify(generateKeyPair);
// Signing-key operations answer 403 with `forbidden` (CONTRACT.md section 3).
const config = { forbiddenMessage: 'forbidden' } as const;

/** "The signing-key 404 example has code `4O4` (letter O) — a typo in their schema; send integer 404." */
const keyNotFound = () => new ApiError(404, 'Signing key Not Found', "The requested signing key doesn't exist in the workspace.");

export function registerSigningKeyRoutes(app: ApiApp, deps: ApiDeps): void {
  const { store } = deps;

  app.post('/v1/iam/signing-keys', {
    config,
    schema: { tags, summary: 'Create a signing key', operationId: 'create_signing_key', response: { 201: ok(SigningKeyCreated), ...errorResponses(401, 403) } },
  }, async (req, reply) => {
    // "the API generates a 2048-bit RSA key pair. The privateKey is returned in the response, encoded in Base64"
    const { publicKey, privateKey } = await generateKeyPairAsync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const key = { id: newUuid(), publicKey, createdAt: nowMicroIso() };
    await insertSigningKey(store.db, key);
    store.notifySigningKeysChanged();
    await notifyMedia(req.log, 'signingKeysChanged', () => deps.liveControl().signingKeysChanged());
    return reply.code(201).send(okReply({ id: key.id, privateKey: Buffer.from(privateKey, 'utf8').toString('base64'), createdAt: key.createdAt }));
  });

  app.get('/v1/iam/signing-keys', {
    config: { ...config, permission: 'read' },
    schema: { tags, summary: 'Get list of signing key', operationId: 'list_signing_keys', querystring: SigningKeyListQuery, response: { 200: ok(Type.Array(SigningKeyItem), true), ...errorResponses(401, 403, 422) } },
  }, async (req) => {
    const page = pageOf(req.query);
    const { items, total } = await listSigningKeyPage(store.db, page.limit, page.page);
    return okReply(items, paginationOf(total, page));
  });

  app.get('/v1/iam/signing-keys/:signingKeyId', {
    config: { ...config, permission: 'read' },
    schema: { tags, summary: 'Get signing key by ID', operationId: 'get-signing_key_by_id', params: SigningKeyParams, response: { 200: ok(SigningKeyPublic), ...errorResponses(401, 403, 404) } },
  }, async (req) => {
    const { signingKeyId } = req.params;
    const k = await findSigningKey(store.db, signingKeyId);
    if (!k) throw keyNotFound();
    return okReply({ workspaceId: store.workspace.id, signingKeyId: k.id, publicKey: k.publicKey });
  });

  app.delete('/v1/iam/signing-keys/:signingKeyId', {
    config,
    schema: { tags, summary: 'Delete a signing key', operationId: 'delete_signing_key', params: SigningKeyParams, response: { 200: ok(Type.Object({ message: Type.String() })), ...errorResponses(401, 403, 404) } },
  }, async (req) => {
    const { signingKeyId } = req.params;
    if (!(await deleteSigningKey(store.db, signingKeyId))) throw keyNotFound();
    // "Deleting a signing key invalidates all tokens signed with it immediately."
    store.notifySigningKeysChanged();
    await notifyMedia(req.log, 'signingKeysChanged', () => deps.liveControl().signingKeysChanged());
    // The live API answers data.message (SDK-live; CHANGELOG 2.0.6): "Send the richer form."
    return okReply({ message: 'signing key deleted successfully' });
  });
}
