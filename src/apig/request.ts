// The core of every APIG / ROMA Connect call: the URL, the rate limit,
// credentials (signing or token), the one 401 retry, one request in flight per
// certificate, and the answer classified into a typed ApigError or parsed.
//
// Retries: a request answered 401 is sent again once after auth.invalidate();
// a throttled one goes back to the shared pacer (pacer.ts), which slows every
// request of this client down and sends it again, a few times at most. Every
// other failure is thrown as a typed ApigError at once; the controller's work
// queue does backoff (it owns the per-certificate retry schedule).
import type { Dispatcher } from 'undici';
import { systemClock, type Clock } from '../common/clock.ts';
import { hasErrorKind } from '../common/errors.ts';
import { headerValue, requestUrl, type ResponseHeaders } from '../common/http-request.ts';
import { checkBaseUrl } from '../common/url.ts';
import type { Logger } from '../log.ts';
import {
  createAkSkAuth,
  createIamPasswordAuth,
  createStaticTokenAuth,
  type ApigAuth,
  type IamPasswordCredentials,
} from './auth.ts';
import {
  createWorkloadIdentityAuth,
  type WorkloadIdentityCredentials,
} from './workload-identity.ts';
import {
  ApigProtocolError,
  classifyApigResponse,
  isWriteOperation,
  networkError,
  type ApigOperation,
} from './errors.ts';
import { createTransport, readBodyText, type TransportOptions } from './http.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import { Pacer, pacedLimit, type PacerStats } from './pacer.ts';
import { DEFAULT_RATE_LIMIT, type RateLimit } from './rate-limit.ts';
import { canonicalQuery, rfc3986Encode } from './signer.ts';

export type ApigService = 'apig' | 'roma';

/** APIG_SERVICE → the path segment after the project ID. */
export const SERVICE_PATH_SEGMENT: Readonly<Record<ApigService, string>> = {
  apig: 'apigw',
  roma: 'apic',
};

export type ApigCredentials =
  | { kind: 'aksk'; accessKey: string; secretKey: string; securityToken?: string | undefined }
  | ({ kind: 'iamPassword' } & IamPasswordCredentials)
  | { kind: 'token'; token: string }
  | ({ kind: 'workloadIdentity' } & WorkloadIdentityCredentials);

export interface ApigClientOptions extends TransportOptions {
  /** APIG_ENDPOINT, e.g. https://apig.cn-north-4.myhuaweicloud.com (http for local simulators). */
  endpoint: string;
  /** APIG_SERVICE; default `apig`. */
  service?: ApigService | undefined;
  /** HUAWEICLOUD_SDK_PROJECT_ID: used when a call names no project. */
  projectId?: string | undefined;
  credentials: ApigCredentials;
  logger: Logger;
  /** Shared by every request of this client, adapted on 429 (pacer.ts); default DEFAULT_RATE_LIMIT. */
  rateLimit?: Partial<RateLimit> | undefined;
  /** Tests pass a fake clock; default the system clock. */
  clock?: Clock | undefined;
}

/** One call: `{method} /v2/{project}/{service segment}/{path...}[?query]`. */
export interface ApigRequest<T> {
  operation: ApigOperation;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  projectId: string | undefined;
  /** Segments below the service segment, each encoded here (e.g. ['certificates', id]). */
  path: readonly string[];
  query?: Readonly<Record<string, string>> | undefined;
  /** Sent as JSON; a request without one has no body. */
  body?: unknown;
  /**
   * The certificate the call is about: calls on one certificate run one at a
   * time, in call order, and errors and logs name it.
   */
  certificateId?: string | undefined;
  /** Validates a 2xx JSON answer; without it the answer's body is not read (204 calls). */
  parse?: ((json: unknown) => T) | undefined;
  signal?: AbortSignal | undefined;
}

export interface ApigRequester {
  readonly service: ApigService;
  readonly authMode: ApigAuth['mode'];
  call<T>(spec: ApigRequest<T>): Promise<T>;
  /** The shared pacer's rate now and the 429s it has seen. */
  pacing(): PacerStats;
  /** Waits for requests in flight, then closes the connections. */
  close(): Promise<void>;
}

interface RawResponse {
  status: number;
  headers: ResponseHeaders;
  text: string;
  usedCredentials: Record<string, string>;
}

function normalizeEndpoint(endpoint: string): string {
  const checked = checkBaseUrl(endpoint);
  if (checked.ok) return checked.base;
  switch (checked.problem.reason) {
    case 'notAbsolute':
      throw new TypeError(`APIG endpoint is not a URL: ${endpoint}`);
    case 'notHttp':
      throw new TypeError(`APIG endpoint must be http(s), got ${checked.problem.protocol}`);
    case 'credentials':
      throw new TypeError('APIG endpoint must not contain a user name or password');
    case 'queryOrFragment':
      throw new TypeError('APIG endpoint must not have a query or fragment');
  }
}

function buildAuth(
  credentials: ApigCredentials,
  dispatcher: Dispatcher,
  logger: Logger,
  clock: Clock,
): ApigAuth {
  switch (credentials.kind) {
    case 'aksk':
      return createAkSkAuth(
        {
          accessKey: credentials.accessKey,
          secretKey: credentials.secretKey,
          ...(credentials.securityToken ? { securityToken: credentials.securityToken } : {}),
        },
        clock,
      );
    case 'iamPassword':
      return createIamPasswordAuth({ ...credentials, dispatcher, logger, clock });
    case 'token':
      return createStaticTokenAuth(credentials.token);
    case 'workloadIdentity':
      return createWorkloadIdentityAuth({ ...credentials, dispatcher, logger, clock });
  }
}

/** Builds the transport and credentials; throws TypeError/RangeError on an unusable configuration. */
export function createApigRequester(options: ApigClientOptions): ApigRequester {
  const base = normalizeEndpoint(options.endpoint);
  const service = options.service ?? 'apig';
  const segment = SERVICE_PATH_SEGMENT[service];
  if (segment === undefined) throw new TypeError(`unknown APIG service: ${String(service)}`);
  const clock = options.clock ?? systemClock;
  const logger = options.logger.child({ component: 'apig-client' });
  const dispatcher = createTransport(options);
  const auth = buildAuth(options.credentials, dispatcher, logger, clock);
  const rateLimit = { ...DEFAULT_RATE_LIMIT, ...options.rateLimit };
  const pacer = new Pacer(pacedLimit(rateLimit), clock);
  const perCertificate = new KeyedMutex();

  function projectFor(projectId: string | undefined, operation: ApigOperation): string {
    const project = projectId ?? options.projectId;
    if (!project) {
      throw new TypeError(`${operation}: no project ID given and no default project configured`);
    }
    return project;
  }

  function urlFor(spec: ApigRequest<unknown>, project: string): URL {
    const segments = [project, segment, ...spec.path].map(rfc3986Encode).join('/');
    const url = new URL(`${base}/v2/${segments}`);
    // Exactly the canonical query goes on the wire, so what is signed is what is sent.
    url.search = canonicalQuery(new URLSearchParams(spec.query ?? {}));
    return url;
  }

  async function send(spec: ApigRequest<unknown>, attempt: number): Promise<RawResponse> {
    const project = projectFor(spec.projectId, spec.operation);
    const url = urlFor(spec, project);
    const body =
      spec.body === undefined ? undefined : Buffer.from(JSON.stringify(spec.body), 'utf8');
    const headers: Record<string, string> = {
      host: url.host,
      ...(body === undefined ? {} : { 'content-type': 'application/json;charset=UTF-8' }),
      'x-language': 'en-us',
      'x-project-id': project,
    };
    const context = { operation: spec.operation, certificateId: spec.certificateId };

    const { signal } = spec;
    await pacer.acquire(signal, spec.method === 'GET' ? 'read' : 'write');
    signal?.throwIfAborted();
    const usedCredentials = await auth.authorize(
      { method: spec.method, url, headers, body: body ?? '' },
      signal,
    );
    // The last moment the request can still be withheld entirely.
    signal?.throwIfAborted();
    const started = clock.now();
    const logContext = {
      ...context,
      method: spec.method,
      path: url.pathname,
      attempt,
    };
    try {
      const response = await requestUrl(dispatcher, url, {
        method: spec.method,
        headers: { ...headers, ...usedCredentials },
        ...(body === undefined ? {} : { body }),
      });
      const text = await readBodyText(response.body);
      logger.debug(
        {
          ...logContext,
          status: response.statusCode,
          durationMs: clock.now() - started,
          requestId: headerValue(response.headers, 'x-request-id'),
        },
        'APIG call',
      );
      return { status: response.statusCode, headers: response.headers, text, usedCredentials };
    } catch (error) {
      const failure = hasErrorKind(error, 'responseTooLarge')
        ? new ApigProtocolError(error.message, {
            ...context,
            outcomeUnknown: isWriteOperation(spec.operation),
          })
        : networkError(error, context);
      logger.debug(
        {
          ...logContext,
          durationMs: clock.now() - started,
          errorCode: failure.errorCode,
          error: failure.message,
        },
        'APIG call failed',
      );
      throw failure;
    }
  }

  async function execute<T>(spec: ApigRequest<T>): Promise<T> {
    const context = { operation: spec.operation, certificateId: spec.certificateId };
    let attempt = 0;
    const response = await pacer.run(async () => {
      let answer = await send(spec, ++attempt);
      if (answer.status === 401) {
        // One fresh credential, one more try; a second 401 is final (five
        // failed AK/SK signatures in a row lock the access key).
        auth.invalidate(answer.usedCredentials);
        answer = await send(spec, ++attempt);
      }
      const failure = classifyApigResponse(answer.status, answer.text, answer.headers, {
        ...context,
        nowMs: clock.now(),
      });
      if (failure) throw failure;
      return answer;
    });
    if (spec.parse === undefined) return undefined as T;
    const details = {
      ...context,
      httpStatus: response.status,
      requestId: headerValue(response.headers, 'x-request-id'),
      // The write took effect, but what APIG holds now is not known from this answer.
      outcomeUnknown: isWriteOperation(spec.operation),
    };
    let json: unknown;
    try {
      json = JSON.parse(response.text);
    } catch {
      throw new ApigProtocolError('success answer is not JSON', details);
    }
    try {
      return spec.parse(json);
    } catch (error) {
      if (hasErrorKind(error, 'responseShape')) {
        throw new ApigProtocolError(`unexpected answer: ${error.message}`, details);
      }
      throw error;
    }
  }

  async function call<T>(spec: ApigRequest<T>): Promise<T> {
    const { certificateId } = spec;
    if (certificateId === undefined) return execute(spec);
    if (certificateId === '') throw new TypeError(`${spec.operation}: empty certificateId`);
    // One request in flight per certificate: a PUT never overtakes another
    // call on the same certificate.
    return perCertificate.run(certificateId, () => execute(spec), spec.signal);
  }

  return {
    service,
    authMode: auth.mode,
    call,
    pacing: () => pacer.stats(),
    close: () => dispatcher.close(),
  };
}
