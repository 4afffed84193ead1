// The operator's only conversation with APIG / ROMA Connect certificates.
//
// Retries: a request answered 401 is sent again once after auth.invalidate();
// a throttled one goes back to the shared pacer (pacer.ts), which slows every
// request of this client down and sends it again, a few times at most. Every
// other failure is thrown as a typed ApigError at once; the controller's work
// queue does backoff (it owns the per-certificate retry schedule).
import { request } from 'undici';
import type { Dispatcher } from 'undici';
import { systemClock, type Clock } from '../common/clock.ts';
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
  parseCertificate,
  toWireBody,
  type ApigCertificate,
  type CertificateBody,
} from './certificate.ts';
import {
  ApigProtocolError,
  classifyApigResponse,
  headerValue,
  networkError,
  type ApigOperation,
  type ResponseHeaders,
} from './errors.ts';
import { createTransport, readBodyText, type TransportOptions } from './http.ts';
import { hasErrorKind } from '../common/errors.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import { Pacer } from './pacer.ts';
import { DEFAULT_RATE_LIMIT, type RateLimit } from './rate-limit.ts';
import { rfc3986Encode } from './signer.ts';

export type ApigService = 'apig' | 'roma';

/** APIG_SERVICE → the path segment after the project ID. */
export const SERVICE_PATH_SEGMENT: Readonly<Record<ApigService, string>> = {
  apig: 'apigw',
  roma: 'apic',
};

export type ApigCredentials =
  | { kind: 'aksk'; accessKey: string; secretKey: string; securityToken?: string | undefined }
  | ({ kind: 'iamPassword' } & IamPasswordCredentials)
  | { kind: 'token'; token: string };

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

/** Which certificate a call is about. */
export interface CertificateTarget {
  certificateId: string;
  /** Overrides the client's default project ID. */
  projectId?: string | undefined;
}

export interface ApigClient {
  readonly service: ApigService;
  readonly authMode: ApigAuth['mode'];
  /**
   * The seed: PUT …/certificates/{id}. Returns what APIG now holds.
   *
   * `signal` is honoured while waiting for the rate limit, for an earlier call
   * on the same certificate and for a token: aborted before the request is
   * dispatched, the PUT is not sent and the call rejects with `signal.reason`
   * (a DOMException named AbortError unless the caller gave `abort()` a
   * reason). A request already dispatched is not cut: APIG may apply it
   * anyway, so its answer is returned and can be recorded (one PUT per
   * content); a retry it would need (after a 401 or a 429) is withheld like
   * a new request.
   */
  updateCertificate(
    target: CertificateTarget,
    body: CertificateBody,
    signal?: AbortSignal,
  ): Promise<ApigCertificate>;
  /** Waits for requests in flight, then closes the connections. */
  close(): Promise<void>;
}

/** One call on one certificate: …/certificates/{id}. */
interface CallSpec<T> {
  operation: ApigOperation;
  method: 'PUT';
  projectId: string | undefined;
  certificateId: string;
  body: Record<string, string>;
  parse: (json: unknown) => T;
  signal?: AbortSignal | undefined;
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
  }
}

/** Builds the client; throws TypeError/RangeError on an unusable configuration. */
export function createApigClient(options: ApigClientOptions): ApigClient {
  const base = normalizeEndpoint(options.endpoint);
  const service = options.service ?? 'apig';
  const segment = SERVICE_PATH_SEGMENT[service];
  if (segment === undefined) throw new TypeError(`unknown APIG service: ${String(service)}`);
  const clock = options.clock ?? systemClock;
  const logger = options.logger.child({ component: 'apig-client' });
  const dispatcher = createTransport(options);
  const auth = buildAuth(options.credentials, dispatcher, logger, clock);
  const rateLimit = { ...DEFAULT_RATE_LIMIT, ...options.rateLimit };
  const pacer = new Pacer(rateLimit, clock);
  const perCertificate = new KeyedMutex();

  function projectFor(projectId: string | undefined, operation: ApigOperation): string {
    const project = projectId ?? options.projectId;
    if (!project) {
      throw new TypeError(`${operation}: no project ID given and no default project configured`);
    }
    return project;
  }

  async function send(spec: CallSpec<unknown>, attempt: number): Promise<RawResponse> {
    const project = projectFor(spec.projectId, spec.operation);
    const path = `/v2/${rfc3986Encode(project)}/${segment}/certificates/${rfc3986Encode(spec.certificateId)}`;
    const url = new URL(`${base}${path}`);
    const body = Buffer.from(JSON.stringify(spec.body), 'utf8');
    const headers: Record<string, string> = {
      host: url.host,
      'content-type': 'application/json;charset=UTF-8',
      'x-language': 'en-us',
      'x-project-id': project,
    };

    const { signal } = spec;
    await pacer.acquire(signal);
    signal?.throwIfAborted();
    const usedCredentials = await auth.authorize(
      { method: spec.method, url, headers, body },
      signal,
    );
    // The last moment the request can still be withheld entirely.
    signal?.throwIfAborted();
    const started = clock.now();
    const logContext = {
      operation: spec.operation,
      method: spec.method,
      path: url.pathname,
      certificateId: spec.certificateId,
      attempt,
    };
    try {
      const response = await request(url, {
        method: spec.method,
        dispatcher,
        headers: { ...headers, ...usedCredentials },
        body,
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
            operation: spec.operation,
            certificateId: spec.certificateId,
          })
        : networkError(error, { operation: spec.operation, certificateId: spec.certificateId });
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

  async function execute<T>(spec: CallSpec<T>): Promise<T> {
    if (spec.certificateId === '') throw new TypeError(`${spec.operation}: empty certificateId`);
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
    const details = {
      ...context,
      httpStatus: response.status,
      requestId: headerValue(response.headers, 'x-request-id'),
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

  function call<T>(spec: CallSpec<T>): Promise<T> {
    // One request in flight per certificate: a PUT never overtakes another
    // call on the same certificate.
    return perCertificate.run(spec.certificateId, () => execute(spec), spec.signal);
  }

  return {
    service,
    authMode: auth.mode,
    updateCertificate: (target, body, signal) =>
      call({
        operation: 'updateCertificate',
        method: 'PUT',
        projectId: target.projectId,
        certificateId: target.certificateId,
        body: toWireBody(body),
        parse: parseCertificate,
        signal,
      }),
    close: () => dispatcher.close(),
  };
}
