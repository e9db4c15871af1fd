/** onair's typed API client: `import { OnairClient } from 'onair/dist/client/index.js'`. */
export { OnairClient, OnairApiError, OnairConnectionError, CLIENT_OPERATIONS, type OnairClientOptions } from './client.js';
export type * from './types.js';
