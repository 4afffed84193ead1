import { createHash } from 'node:crypto';
import { bufferFromFileOrString, HttpMethod, RequestContext } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { fetch } from 'undici';
import type { Dispatcher, Response } from 'undici';
import { hasErrorKind } from '../common/errors.ts';
import { parseRetryAfter } from '../common/retry-after.ts';

/** A `metav1.Status` as the API server sends it with errors. */
export interface KubeStatus {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
}

/**
 * A non-2xx answer from the API server. `statusCode` and `reason` are what
 * callers branch on (404 NotFound, 409 Conflict, 410 Expired, 429).
 */
export class KubeApiError extends Error {
  readonly kind = 'kubeApi';
  readonly statusCode: number;
  readonly reason: string | undefined;
  /** From a Retry-After header, when the server sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(
    statusCode: number,
    status: KubeStatus | undefined,
    context: string,
    retryAfterMs?: number,
  ) {
    super(`${context}: ${statusCode} ${status?.reason ?? ''} ${status?.message ?? ''}`.trim());
    this.name = 'KubeApiError';
    this.statusCode = statusCode;
    this.reason = status?.reason;
    this.retryAfterMs = retryAfterMs;
  }
}

export function isKubeApiError(error: unknown, statusCode?: number): error is KubeApiError {
  return (
    hasErrorKind(error, 'kubeApi') &&
    (statusCode === undefined || (error as KubeApiError).statusCode === statusCode)
  );
}

export type QueryValue = string | number | boolean | undefined;

export interface KubeRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absolute API path, e.g. `/api/v1/namespaces/ns/secrets`. */
  path: string;
  query?: Record<string, QueryValue>;
  /** Serialised as JSON. */
  body?: unknown;
  /** Default `application/json`. */
  accept?: string;
  /** Default `application/json` when there is a body. */
  contentType?: string;
  signal?: AbortSignal;
}

/**
 * Minimal HTTP access to the API server with the KubeConfig's credentials.
 *
 * Why not the generated API classes or client-node's `Watch`: lists and
 * watches of Secrets must ask for metadata only (an `Accept` header with
 * `as=PartialObjectMetadataList`), the watch needs our own inactivity handling
 * and must see the Status body of errors (410 Expired), and a watch that
 * silently drops unparsable lines hides real faults. Authentication stays
 * client-node's: headers (bearer tokens, exec/OIDC/file token refresh) are
 * taken from the KubeConfig for every request, and so is the TLS material
 * (client certificate, key and CA files are re-read each time).
 */
export class KubeClient {
  readonly #kubeConfig: KubeConfig;
  readonly #server: string;
  // client-node builds a new undici Agent per request; one shared dispatcher
  // keeps connections (and TLS sessions) reused across list, watch and lease
  // calls, until the TLS material it was built with changes (rotated files).
  #dispatcher: Dispatcher | undefined;
  #dispatcherTls: string | undefined;

  constructor(kubeConfig: KubeConfig) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the KubeConfig has no current cluster');
    this.#kubeConfig = kubeConfig;
    this.#server = cluster.server.replace(/\/+$/, '');
  }

  url(path: string, query: Record<string, QueryValue> = {}): URL {
    const url = new URL(this.#server + path);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  /** Sends the request and returns the response whatever its status (for streams). */
  async fetch(request: KubeRequest): Promise<Response> {
    const url = this.url(request.path, request.query);
    const method = request.method ?? 'GET';
    const context = new RequestContext(url.toString(), HttpMethod[method]);
    await this.#kubeConfig.applySecurityAuthentication(context);
    const tls = tlsFingerprint(this.#kubeConfig);
    if (tls !== this.#dispatcherTls) {
      // Requests already on the old connections (open watches) run to their end.
      void this.#dispatcher?.close();
      this.#dispatcher = context.getDispatcher();
      this.#dispatcherTls = tls;
    }
    const headers: Record<string, string> = {
      ...context.getHeaders(),
      Accept: request.accept ?? 'application/json',
    };
    let body: string | undefined;
    if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      headers['Content-Type'] = request.contentType ?? 'application/json';
    }
    return fetch(url, {
      method,
      headers,
      body,
      signal: request.signal,
      ...(this.#dispatcher ? { dispatcher: this.#dispatcher } : {}),
    });
  }

  /** Sends the request and parses a JSON answer; non-2xx throws `KubeApiError`. */
  async json<T>(request: KubeRequest): Promise<T> {
    const response = await this.fetch(request);
    if (!response.ok)
      throw await apiErrorFrom(response, `${request.method ?? 'GET'} ${request.path}`);
    return (await response.json()) as T;
  }

  /** Closes pooled connections (open watches end). */
  async close(): Promise<void> {
    await this.#dispatcher?.close();
  }
}

/**
 * A digest of the TLS material client-node reads for each request (CA, client
 * certificate and key, from files or inline data), to notice a rotation.
 */
function tlsFingerprint(kubeConfig: KubeConfig): string {
  const cluster = kubeConfig.getCurrentCluster();
  const user = kubeConfig.getCurrentUser();
  const hash = createHash('sha256');
  for (const material of [
    cluster && bufferFromFileOrString(cluster.caFile, cluster.caData),
    user && bufferFromFileOrString(user.certFile, user.certData),
    user && bufferFromFileOrString(user.keyFile, user.keyData),
  ]) {
    hash.update(material ?? '').update('\0');
  }
  return hash.digest('hex');
}

/** Builds the error for a non-2xx response, reading its Status body if any. */
export async function apiErrorFrom(response: Response, context: string): Promise<KubeApiError> {
  let status: KubeStatus | undefined;
  try {
    const text = await response.text();
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') status = parsed;
  } catch {
    // Not a Status (a proxy's HTML page, an empty body): the code says enough.
  }
  return new KubeApiError(
    response.status,
    status,
    context,
    parseRetryAfter(response.headers.get('retry-after'), Date.now()),
  );
}
