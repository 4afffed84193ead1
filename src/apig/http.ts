// The HTTP transport shared by the APIG client and the IAM token source.
import { getCACertificates } from 'node:tls';
import { EnvHttpProxyAgent } from 'undici';
import type { Dispatcher } from 'undici';

export interface TransportOptions {
  /** Extra trusted CA certificates (PEM), added to Node's default trust store. */
  caPem?: string | undefined;
  /**
   * APIG_TIMEOUT: how long to wait for the response headers, and then between
   * two chunks of the body. Connecting gets at most CONNECT_TIMEOUT_MS of it.
   */
  timeoutMs?: number | undefined;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
/** Connecting (TCP and TLS) waits at most this long, however long APIG_TIMEOUT is. */
export const CONNECT_TIMEOUT_MS = 10_000;

/** undici's three timeouts, all derived from the one setting. */
export function transportTimeouts(timeoutMs: number = DEFAULT_TIMEOUT_MS): {
  connectTimeout: number;
  headersTimeout: number;
  bodyTimeout: number;
} {
  return {
    connectTimeout: Math.min(CONNECT_TIMEOUT_MS, timeoutMs),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  };
}

/**
 * A keep-alive connection pool per origin that honours HTTPS_PROXY,
 * HTTP_PROXY and NO_PROXY (either case) as curl users expect; without those
 * variables it connects directly.
 */
export function createTransport(options: TransportOptions = {}): Dispatcher {
  const tlsOptions = options.caPem ? { ca: [...getCACertificates('default'), options.caPem] } : {};
  return new EnvHttpProxyAgent({
    ...transportTimeouts(options.timeoutMs),
    keepAliveTimeout: 10_000,
    // Direct connections use `connect`; through a proxy, the TLS session to
    // APIG inside the tunnel uses `requestTls`.
    connect: tlsOptions,
    requestTls: tlsOptions,
  });
}

/** Larger answers are not APIG's (a list of 500 certificates is well below). */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

export class ResponseTooLargeError extends Error {
  override readonly name = 'ResponseTooLargeError';
  readonly kind = 'responseTooLarge';
}

/** The whole body as UTF-8 text, refusing more than `limit` bytes. */
export async function readBodyText(
  body: AsyncIterable<Uint8Array | string>,
  limit = MAX_RESPONSE_BYTES,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
    size += buffer.length;
    if (size > limit) throw new ResponseTooLargeError(`response body exceeds ${limit} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
