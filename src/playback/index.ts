/** The playback listener: LL-HLS over plain node:http, token checks, viewer counting. */
export { PlaybackServer, type PlaybackServerOptions, type PlaybackLogger, type PlaybackRoute } from './playback-server.js';
export { compileAccessCheck, type AccessCheck, type AccessVerdict } from './access-check.js';
export { createPlaybackTokenVerifier, importPublicKey, type PlaybackTokenVerifier, type PublicKeyLookup, type TokenVerifierOptions, type VerificationKey } from './playback-token-verifier.js';
export { ViewerCounter, type ViewerCounterOptions } from './viewer-counter.js';
