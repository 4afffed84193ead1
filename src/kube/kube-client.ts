import { createHash } from 'node:crypto';
import type { RequestOptions } from 'node:https';
import { HttpMethod, RequestContext } from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { Agent, type Dispatcher } from 'undici';
import { hasErrorKind } from '../common/errors.ts';
import { headerValue, requestUrl } from '../common/http-request.ts';
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

  /**
   * Sends the request and returns the response whatever its status, its body
   * unread (lists and watches read it as it arrives; see `apiErrorFrom`).
   */
  async stream(request: KubeRequest): Promise<Dispatcher.ResponseData> {
    const { url, dispatcher, ...options } = await this.#prepare(request);
    return requestUrl(dispatcher, url, { ...options, signal: request.signal });
  }

  /** Sends the request and parses a JSON answer; non-2xx throws `KubeApiError`. */
  async json<T>(request: KubeRequest): Promise<T> {
    const { method } = request;
    const response = await this.stream(request);
    const text = await response.body.text();
    if (response.statusCode < 200 || response.statusCode > 299) {
      throw apiError(
        response.statusCode,
        text,
        `${method ?? 'GET'} ${request.path}`,
        headerValue(response.headers, 'retry-after'),
      );
    }
    return JSON.parse(text) as T;
  }

  /** The URL, the KubeConfig's headers and the body, and the shared dispatcher made current. */
  async #prepare(request: KubeRequest): Promise<{
    url: URL;
    dispatcher: Dispatcher;
    method: NonNullable<KubeRequest['method']>;
    headers: Record<string, string>;
    body: string | undefined;
  }> {
    const url = this.url(request.path, request.query);
    const method = request.method ?? 'GET';
    const options: RequestOptions = {};
    await this.#kubeConfig.applyToHTTPSOptions(options);
    const tls = tlsFingerprint(options);
    if (!this.#dispatcher || tls !== this.#dispatcherTls) {
      // client-node builds the dispatcher (proxy and SOCKS included) once per
      // TLS material. Requests already on the old connections (open watches)
      // run to their end.
      const context = new RequestContext(url.toString(), HttpMethod[method]);
      await this.#kubeConfig.applySecurityAuthentication(context);
      void this.#dispatcher?.close();
      // None for a plain-http server without proxy or client certificate.
      this.#dispatcher = context.getDispatcher() ?? new Agent();
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
    return { url, dispatcher: this.#dispatcher, method, headers, body };
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

/** Builds the error for a non-2xx response of `stream`, reading its Status body if any. */
export async function apiErrorFrom(
  response: Dispatcher.ResponseData,
  context: string,
): Promise<KubeApiError> {
  const text = await response.body.text().catch(() => '');
  return apiError(response.statusCode, text, context, headerValue(response.headers, 'retry-after'));
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
