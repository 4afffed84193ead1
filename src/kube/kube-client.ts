import { createHash } from 'node:crypto';
import type { RequestOptions } from 'node:https';
import { HttpMethod, RequestContext } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { fetch, request as undiciRequest } from 'undici';
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
 *
 * Through `applyToHTTPSOptions`, not `applySecurityAuthentication`: the
 * latter builds a new undici Agent for every request. One shared dispatcher
 * keeps connections (and TLS sessions) reused across list, watch, status and
 * lease calls, until the TLS material it was built with changes (rotated files).
 */
export class KubeClient {
  readonly #kubeConfig: KubeConfig;
  readonly #server: string;
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
    const { url, method, headers, body } = await this.#prepare(request);
    return fetch(url, {
      method,
      headers,
      body,
      signal: request.signal,
      ...(this.#dispatcher ? { dispatcher: this.#dispatcher } : {}),
    });
  }

  /**
   * Sends the request and parses a JSON answer; non-2xx throws `KubeApiError`.
   * With undici's `request`, not `fetch`: no WHATWG Request, Response and
   * streams for each of the calls a reconcile makes.
   */
  async json<T>(request: KubeRequest): Promise<T> {
    const { url, method, headers, body } = await this.#prepare(request);
    const response = await undiciRequest(url, {
      method,
      headers,
      body,
      signal: request.signal,
      ...(this.#dispatcher ? { dispatcher: this.#dispatcher } : {}),
    });
    const text = await response.body.text();
    if (response.statusCode < 200 || response.statusCode > 299) {
      const retryAfter = response.headers['retry-after'];
      throw apiError(
        response.statusCode,
        text,
        `${method} ${request.path}`,
        Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
      );
    }
    return JSON.parse(text) as T;
  }

  /** The URL, the KubeConfig's headers and the body; the shared dispatcher made current. */
  async #prepare(request: KubeRequest): Promise<{
    url: URL;
    method: NonNullable<KubeRequest['method']>;
    headers: Record<string, string>;
    body: string | undefined;
  }> {
    const url = this.url(request.path, request.query);
    const method = request.method ?? 'GET';
    const options: RequestOptions = {};
    await this.#kubeConfig.applyToHTTPSOptions(options);
    const tls = tlsFingerprint(options);
    if (tls !== this.#dispatcherTls) {
      // client-node builds the dispatcher (proxy and SOCKS included) once per
      // TLS material. Requests already on the old connections (open watches)
      // run to their end.
      const context = new RequestContext(url.toString(), HttpMethod[method]);
      await this.#kubeConfig.applySecurityAuthentication(context);
      void this.#dispatcher?.close();
      this.#dispatcher = context.getDispatcher();
      this.#dispatcherTls = tls;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (value !== undefined) headers[name] = String(value);
    }
    if (options.auth) {
      headers.Authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`;
    }
    headers.Accept = request.accept ?? 'application/json';
    let body: string | undefined;
    if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      headers['Content-Type'] = request.contentType ?? 'application/json';
    }
    return { url, method, headers, body };
  }

  /** Closes pooled connections (open watches end). */
  async close(): Promise<void> {
    await this.#dispatcher?.close();
  }
}

/** A digest of the TLS material the KubeConfig gave for this request, to notice a rotation. */
function tlsFingerprint(options: RequestOptions): string {
  const hash = createHash('sha256');
  for (const material of [options.ca, options.cert, options.key]) {
    for (const part of [material ?? []].flat()) {
      // client-node gives file or inline data as Buffers; never a KeyObject.
      if (typeof part === 'string' || Buffer.isBuffer(part)) hash.update(part);
    }
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** Builds the error for a non-2xx response, reading its Status body if any. */
export async function apiErrorFrom(response: Response, context: string): Promise<KubeApiError> {
  const text = await response.text().catch(() => '');
  return apiError(response.status, text, context, response.headers.get('retry-after'));
}

/** The error for a non-2xx answer: its Status body (when it is one) and Retry-After. */
function apiError(
  statusCode: number,
  text: string,
  context: string,
  retryAfter: string | null | undefined,
): KubeApiError {
  let status: KubeStatus | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') status = parsed;
  } catch {
    // Not a Status (a proxy's HTML page, an empty body): the code says enough.
  }
  return new KubeApiError(statusCode, status, context, parseRetryAfter(retryAfter, Date.now()));
}
