/**
 * Answers for requests node's HTTP parser refuses before any route sees them (over-long headers, malformed request
 * lines, unknown methods, header timeouts), in FastPix's error envelope instead of node's bare status line or
 * Fastify's `{"error":..,"statusCode":..}`. Used as Fastify's `clientErrorHandler`; any node `http.Server` can use
 * it too: `server.on('clientError', answerClientError)`.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

interface ClientErrorAnswer {
  status: number;
  message: string;
  description: string;
}

/** Status and strings for a parser error code (`HPE_*`, `ERR_HTTP_REQUEST_TIMEOUT`, ...). */
export function clientErrorAnswer(code: string | undefined): ClientErrorAnswer {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: 'request header fields too large', description: 'The request headers exceed the size this server accepts.' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT': // not a parser code on every node version, answered alike
      return { status: 408, message: 'request timeout', description: 'The request was not received in time.' };
    case 'HPE_INVALID_METHOD':
      return { status: 400, message: 'bad request', description: 'The request method is not a known HTTP method.' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, message: 'payload too large', description: 'The chunk extensions of the request body are too large.' };
    default:
      return { status: 400, message: 'bad request', description: 'The request is not valid HTTP/1.1.' };
  }
}

/** The whole HTTP/1.1 response (status line, headers, envelope body), closing the connection. */
export function clientErrorResponse(code: string | undefined): string {
  const a = clientErrorAnswer(code);
  const body = JSON.stringify({ success: false, error: { code: a.status, message: a.message, description: a.description } });
  return `HTTP/1.1 ${a.status} ${STATUS_CODES[a.status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\n`
    + `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** A node `clientError` listener: writes the envelope when the socket can still take it, then closes it. */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  // A reset connection has no one to answer (node docs: 'clientError').
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  // A response already started on this socket (e.g. a keep-alive pipeline) cannot take a second status line.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    socket.end(clientErrorResponse(err.code));
    // end() flushes; destroy once flushed or after a short grace so a stalled peer cannot pin the socket.
    const t = setTimeout(() => socket.destroy(), 1000);
    t.unref();
    socket.once('close', () => clearTimeout(t));
    return;
  }
  socket.destroy();
}
