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
import { exchangeIdToken, presentedIdToken } from './iam-id-token.ts';
import { SlidingWindowLimiter } from './rate-limit.ts';
import {
  certificateOperation,
  errorReply,
  faultReply,
  parseJson,
  readBody,
  route,
  type Route,
} from './routes.ts';
import type { SignedRequestParts } from './signature.ts';
import type { ApigSimulator, Caller, RequestLogEntry, SimulatorOptions } from './types.ts';

export type * from './types.ts';
export { MAX_CLOCK_SKEW_MS, FAILURES_BEFORE_LOCK, LOCK_DURATION_MS } from './auth.ts';

export const DEFAULT_PROJECT_ID = '05041fffa40025702f6dc009cc6f8f33';
export const DEFAULT_PROJECT_NAME = 'cn-north-4';

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
  /** PUTs held by an applyLate fault, per certificate, in arrival order. */
  const heldPuts = new Map<string, (() => void)[]>();

  /** Applies the PUTs held for a certificate, right after a newer one took effect. */
  function applyHeldPuts(certificateId: string): void {
    const held = heldPuts.get(certificateId) ?? [];
    heldPuts.delete(certificateId);
    for (const apply of held) apply();
  }

  /** The answer to one request, who the caller presented itself as, and how it authenticated when it did. */
  function handle(
    r: Route,
    method: string,
    parts: SignedRequestParts,
    query: URLSearchParams,
    hold?: (apply: () => HttpReply) => HttpReply,
  ): { reply: HttpReply; auth?: AuthMethod; caller?: Caller; idTokenSha256?: string } {
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
      return authenticator.issueToken(body, query.get('nocatalog') !== 'true');
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
      const idp = typeof idpId === 'string' ? idpId : undefined;
      return { reply: exchangeIdToken(exchange, idp, body), ...presentedIdToken(idp, body) };
    }
    if (r.resource === 'unknown' || r.projectId === undefined)
      return { reply: errorReply(apiNotFound()) };
    const operation = certificateOperation(store, r, method);
    if (operation === undefined) return { reply: errorReply(apiNotFound()) };
    const caller = authenticator.callerOf(parts);
    const attributed = caller ? { caller } : {};
    let auth: AuthMethod | undefined;
    try {
      auth = authenticator.authenticate(parts, r.projectId);
      if (limiter && !limiter.admit(now().getTime())) throw throttled(limiter.limit, 'second');
      const projectId = r.projectId;
      const apply = (): HttpReply => operation(projectId, parts, query);
      // Authenticated and admitted now; a held request takes effect later.
      return { reply: hold ? hold(apply) : apply(), auth, ...attributed };
    } catch (error) {
      if (error instanceof ApigError)
        return { reply: errorReply(error), ...(auth ? { auth } : {}), ...attributed };
      throw error;
    }
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

    const parts: SignedRequestParts = { method, rawPath, rawQuery, headers: req.headers, body };
    const query = new URLSearchParams(rawQuery);
    if (picked.fault?.kind === 'applyLate' && r.certificateId !== undefined) {
      const { answer } = picked.fault;
      const certificateId = r.certificateId;
      let held = false;
      const handled = handle(r, method, parts, query, (apply) => {
        held = true;
        const queue = heldPuts.get(certificateId) ?? [];
        queue.push(() => {
          try {
            const late = apply();
            entry.applied = late.status >= 200 && late.status < 300;
          } catch (error) {
            if (!(error instanceof ApigError)) throw error;
          }
        });
        heldPuts.set(certificateId, queue);
        return faultReply({ kind: 'serverError' }, certificateId);
      });
      if (handled.auth) entry.auth = handled.auth;
      if (handled.caller) entry.caller = handled.caller;
      if (held) entry.fault = 'applyLate';
      if (held && answer !== 'serverError') {
        record(0);
        req.socket.destroy();
        return;
      }
      record(handled.reply.status, handled.reply);
      send(res, handled.reply, requestId);
      return;
    }

    let reply: HttpReply | undefined;
    if (picked.fault === undefined || picked.after) {
      const handled = handle(r, method, parts, query);
      reply = handled.reply;
      if (handled.auth) entry.auth = handled.auth;
      if (handled.caller) entry.caller = handled.caller;
      if (handled.idTokenSha256) entry.idTokenSha256 = handled.idTokenSha256;
      entry.applied = method !== 'GET' && reply.status >= 200 && reply.status < 300;
      if (entry.applied && method === 'PUT' && r.certificateId !== undefined)
        applyHeldPuts(r.certificateId);
    }
    if (picked.fault !== undefined) {
      entry.fault = picked.fault.kind;
      if (picked.fault.kind === 'reset') {
        record(0);
        req.socket.destroy();
        return;
      }
      if (picked.fault.kind === 'holdAnswer') await sleep(picked.fault.ms);
      else if (picked.fault.kind !== 'applyLate') reply = faultReply(picked.fault, r.certificateId);
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
    seedDomain: (d) => store.domains.seed(d),
    domains: () => store.domains.all(),
    certificate: (id) => store.get(id),
    consoleEdit: (id, edit) => store.consoleEdit(id, edit),
    consoleDelete: (id) => store.consoleDelete(id),
    consoleDetach: (id, domain) => store.domains.consoleDetach(id, domain),
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
    changePassword: (domain, user, password) =>
      authenticator.changePassword(domain, user, password),
    issuedTokens: () => authenticator.issuedTokens(),
    accessKeyLockedUntil: (ak) => authenticator.accessKeyLockedUntil(ak),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
