// A strict stand-in for Huawei Cloud APIG / ROMA Connect certificates and IAM
// password tokens, on loopback: the APIG facts in docs/architecture.md, and
// where Huawei's documentation is silent, the choices listed in README.md.
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCA } from '../certs.ts';
import { Authenticator } from './auth.ts';
import type { AuthMethod, HttpReply } from './auth.ts';
import { CertificateStore } from './certificates.ts';
import { ApigError, apiNotFound, throttled } from './errors.ts';
import { FaultInjector } from './faults.ts';
import { exchangeIdToken, ID_TOKEN_EXCHANGE_PATH, presentedIdToken } from './iam-id-token.ts';
import { SlidingWindowLimiter } from './rate-limit.ts';
import type { SignedRequestParts } from './signature.ts';
import type {
  ApigSimulator,
  Fault,
  RequestLogEntry,
  ServiceName,
  SimulatorOptions,
} from './types.ts';

export type * from './types.ts';
export { MAX_CLOCK_SKEW_MS, FAILURES_BEFORE_LOCK, LOCK_DURATION_MS } from './auth.ts';

export const DEFAULT_PROJECT_ID = '05041fffa40025702f6dc009cc6f8f33';
export const DEFAULT_PROJECT_NAME = 'cn-north-4';
const MAX_BODY_BYTES = 1024 * 1024;
/** Limit shown in the message of an injected 429, in APIG's default per-minute form. */
const INJECTED_THROTTLE_LIMIT = 60;

interface Route {
  service: ServiceName;
  projectId?: string;
  certificateId?: string;
  /** certificate collection, one certificate, its attached domains, or the IAM token endpoint */
  resource: 'collection' | 'certificate' | 'attached-domains' | 'token' | 'idToken' | 'unknown';
}

function route(pathname: string): Route {
  if (pathname === '/v3/auth/tokens') return { service: 'iam', resource: 'token' };
  if (pathname === ID_TOKEN_EXCHANGE_PATH) return { service: 'iam', resource: 'idToken' };
  const match =
    /^\/v2\/([^/]+)\/(apigw|apic)\/certificates(?:\/([^/]+)(\/attached-domains)?)?\/?$/.exec(
      pathname,
    );
  if (!match) return { service: 'apigw', resource: 'unknown' };
  const [, projectId, service, certificateId, domains] = match;
  return {
    service: service as 'apigw' | 'apic',
    projectId: decodeURIComponent(projectId!),
    ...(certificateId !== undefined ? { certificateId: decodeURIComponent(certificateId) } : {}),
    resource: domains
      ? 'attached-domains'
      : certificateId !== undefined
        ? 'certificate'
        : 'collection',
  };
}

function errorReply(error: ApigError): HttpReply {
  return { status: error.status, body: { error_code: error.code, error_msg: error.message } };
}

function faultReply(
  fault: Exclude<Fault, { kind: 'latency' | 'reset' }>,
  certificateId: string | undefined,
): HttpReply {
  switch (fault.kind) {
    case 'serverError':
      return errorReply(new ApigError(500, 'APIG.9999', 'System error'));
    case 'throttle500':
      return errorReply(new ApigError(500, 'APIG.9008', 'Too many requests'));
    case 'unauthorized':
      return errorReply(new ApigError(401, 'APIGW.0307', 'The token must be updated'));
    case 'throttle429': {
      const reply = errorReply(throttled(INJECTED_THROTTLE_LIMIT, 'minute'));
      return fault.retryAfterSeconds === undefined
        ? reply
        : { ...reply, headers: { 'Retry-After': String(fault.retryAfterSeconds) } };
    }
    case 'malformed':
      // Cut short, as a proxy dropping the connection mid-body would leave it.
      return { status: 200, body: `{"id":"${certificateId ?? ''}","name":` };
  }
}

function isJsonContentType(value: string | undefined): boolean {
  return value !== undefined && /^application\/json\s*(;|$)/i.test(value.trim());
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function parseJson(body: Buffer, contentType: string | undefined): unknown {
  if (!isJsonContentType(contentType)) {
    throw new ApigError(400, 'APIG.2000', 'Parameter error: Content-Type must be application/json');
  }
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new ApigError(400, 'APIG.2000', 'Parameter error: the request body is not valid JSON');
  }
}

export async function startApigSimulator(opts: SimulatorOptions = {}): Promise<ApigSimulator> {
  const now = opts.now ?? (() => new Date());
  const projects = opts.projects ?? [DEFAULT_PROJECT_ID];
  const defaultProjectId = projects[0];
  if (defaultProjectId === undefined)
    throw new Error('SimulatorOptions.projects must name at least one project');
  const authenticator = new Authenticator({
    accessKeys: opts.accessKeys ?? [],
    users: opts.users ?? [],
    staticTokens: opts.staticTokens ?? [],
    ...(opts.tokenLifetimeMs !== undefined ? { tokenLifetimeMs: opts.tokenLifetimeMs } : {}),
    knownProjects: new Set(projects),
    projectNames: opts.projectNames ?? { [DEFAULT_PROJECT_NAME]: defaultProjectId },
    now,
  });
  const store = new CertificateStore(now);
  const faults = new FaultInjector(opts.random ?? Math.random);
  const limiter =
    opts.rateLimitPerSecond === undefined
      ? undefined
      : new SlidingWindowLimiter(opts.rateLimitPerSecond);
  const log: RequestLogEntry[] = [];

  /** The answer to one request, and how the caller authenticated when it did. */
  function handle(
    r: Route,
    method: string,
    parts: SignedRequestParts,
    query: URLSearchParams,
  ): { reply: HttpReply; auth?: AuthMethod; idTokenSha256?: string } {
    if (r.resource === 'token') {
      if (method !== 'POST') return { reply: errorReply(apiNotFound()) };
      const contentType = parts.headers['content-type'] as string | undefined;
      let body: unknown;
      try {
        body = parseJson(Buffer.from(parts.body), contentType);
      } catch {
        return {
          reply: {
            status: 400,
            body: {
              error: { code: 400, message: 'The request body is invalid.', title: 'Bad Request' },
            },
          },
        };
      }
      return { reply: authenticator.issueToken(body, query.get('nocatalog') !== 'true') };
    }
    if (r.resource === 'idToken') {
      if (method !== 'POST') return { reply: errorReply(apiNotFound()) };
      const idpId = parts.headers['x-idp-id'];
      let body: unknown;
      try {
        body = parseJson(
          Buffer.from(parts.body),
          parts.headers['content-type'] as string | undefined,
        );
      } catch {
        body = undefined; // refused by the exchange as a body without auth.id_token.id
      }
      const providers = opts.identityProviders ?? [];
      const exchange = { providers, knownProjects: new Set(projects), authenticator, now };
      const reply = exchangeIdToken(exchange, typeof idpId === 'string' ? idpId : undefined, body);
      return { reply, ...presentedIdToken(body) };
    }
    if (r.resource === 'unknown' || r.projectId === undefined)
      return { reply: errorReply(apiNotFound()) };
    const operation = certificateOperation(r, method);
    if (operation === undefined) return { reply: errorReply(apiNotFound()) };
    let auth: AuthMethod | undefined;
    try {
      auth = authenticator.authenticate(parts, r.projectId);
      if (limiter && !limiter.admit(now().getTime())) throw throttled(limiter.limit, 'second');
      return { reply: operation(r.projectId, parts, query), auth };
    } catch (error) {
      if (error instanceof ApigError)
        return { reply: errorReply(error), ...(auth ? { auth } : {}) };
      throw error;
    }
  }

  function certificateOperation(
    r: Route,
    method: string,
  ):
    | ((projectId: string, parts: SignedRequestParts, query: URLSearchParams) => HttpReply)
    | undefined {
    const id = r.certificateId;
    const json = (parts: SignedRequestParts): unknown =>
      parseJson(Buffer.from(parts.body), parts.headers['content-type'] as string | undefined);
    if (r.resource === 'collection') {
      if (method === 'GET') return (projectId, _parts, query) => store.list(projectId, query);
      if (method === 'POST') return (projectId, parts) => store.create(projectId, json(parts));
    } else if (r.resource === 'certificate' && id !== undefined) {
      if (method === 'GET') return (projectId) => store.show(projectId, id);
      if (method === 'PUT') return (projectId, parts) => store.modify(projectId, id, json(parts));
      if (method === 'DELETE') return (projectId) => store.remove(projectId, id);
    } else if (r.resource === 'attached-domains' && id !== undefined && method === 'GET') {
      return (projectId, _parts, query) => store.attachedDomains(projectId, id, query);
    }
    return undefined;
  }

  function send(res: ServerResponse, reply: HttpReply, requestId: string): void {
    const headers: Record<string, string> = { 'X-Request-Id': requestId, ...reply.headers };
    if (reply.status === 204 || reply.body === undefined) {
      res.writeHead(reply.status, headers).end();
      return;
    }
    const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    headers['Content-Type'] = 'application/json;charset=UTF-8';
    headers['Content-Length'] = String(Buffer.byteLength(text));
    res.writeHead(reply.status, headers).end(text);
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomBytes(16).toString('hex');
    const method = (req.method ?? 'GET').toUpperCase();
    const rawUrl = req.url ?? '/';
    const queryStart = rawUrl.indexOf('?');
    const rawPath = queryStart < 0 ? rawUrl : rawUrl.slice(0, queryStart);
    const rawQuery = queryStart < 0 ? '' : rawUrl.slice(queryStart + 1);
    let r: Route;
    try {
      r = route(rawPath);
    } catch {
      r = { service: 'apigw', resource: 'unknown' }; // malformed percent-encoding
    }
    const entry: RequestLogEntry = {
      time: now(),
      method,
      path: rawPath,
      query: rawQuery,
      service: r.service,
      ...(r.projectId !== undefined ? { projectId: r.projectId } : {}),
      ...(r.certificateId !== undefined ? { certificateId: r.certificateId } : {}),
      status: 0,
      applied: false,
    };
    const record = (status: number, reply?: HttpReply): void => {
      entry.status = status;
      const code = (reply?.body as { error_code?: unknown } | undefined)?.error_code;
      if (typeof code === 'string') entry.errorCode = code;
      log.push(entry);
      opts.onRequest?.(entry);
    };

    const body = await readBody(req);
    if (body === undefined) {
      const reply = errorReply(new ApigError(413, 'APIG.0201', 'Request entity too large'));
      record(reply.status, reply);
      send(res, reply, requestId);
      return;
    }
    const picked = faults.pick({
      service: r.service,
      method,
      ...(r.certificateId !== undefined ? { certificateId: r.certificateId } : {}),
    });
    if (picked.latencyMs > 0) {
      entry.fault = 'latency';
      await sleep(picked.latencyMs);
    }

    let reply: HttpReply | undefined;
    if (picked.fault === undefined || picked.after) {
      const parts: SignedRequestParts = { method, rawPath, rawQuery, headers: req.headers, body };
      const handled = handle(r, method, parts, new URLSearchParams(rawQuery));
      reply = handled.reply;
      if (handled.auth) entry.auth = handled.auth;
      if (handled.idTokenSha256) entry.idTokenSha256 = handled.idTokenSha256;
      entry.applied = method !== 'GET' && reply.status >= 200 && reply.status < 300;
    }
    if (picked.fault !== undefined) {
      entry.fault = picked.fault.kind;
      if (picked.fault.kind === 'reset') {
        record(0);
        req.socket.destroy();
        return;
      }
      reply = faultReply(picked.fault, r.certificateId);
    }
    record(reply!.status, reply);
    send(res, reply!, requestId);
  }

  let caPem: string | undefined;
  let server: Server;
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    onRequest(req, res).catch((error: unknown) => {
      // A simulator bug: answer 500 so the test sees it rather than hanging.
      console.error('apig-simulator: unexpected error', error);
      if (!res.headersSent)
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end('simulator error');
    });
  };
  if (opts.tls) {
    const ca = await createCA({ commonName: 'APIG Simulator Test CA', key: { kind: 'EC' } });
    const leaf = await ca.issue({
      commonName: 'localhost',
      ipAddresses: ['127.0.0.1'],
      key: { kind: 'EC' },
    });
    caPem = ca.certPem;
    server = createHttpsServer({ cert: leaf.chainPem, key: leaf.keyPem }, listener);
  } else {
    server = createHttpServer(listener);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    ...(caPem !== undefined ? { caPem } : {}),
    projectId: defaultProjectId,
    seedCertificate: (c) => store.seed(c, defaultProjectId),
    addInstance: (id) => store.addInstance(id),
    certificate: (id) => store.get(id),
    requests: () => log.map((e) => ({ ...e })),
    successfulPuts: (certificateId) =>
      log
        .filter(
          (e) =>
            e.method === 'PUT' &&
            e.applied &&
            (certificateId === undefined || e.certificateId === certificateId),
        )
        .map((e) => ({ ...e })),
    addFault: (rule) => faults.add(rule),
    clearFaults: () => faults.clear(),
    expireTokens: () => authenticator.expireTokens(),
    issuedTokens: () => authenticator.issuedTokens(),
    accessKeyLockedUntil: (ak) => authenticator.accessKeyLockedUntil(ak),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
