// Which operation a request is, and the HTTP plumbing around it: bodies in,
// error and fault answers out.
import type { IncomingMessage } from 'node:http';
import type { HttpReply } from './auth.ts';
import type { CertificateStore } from './certificates.ts';
import { ApigError, throttled } from './errors.ts';
import { ID_TOKEN_EXCHANGE_PATH } from './iam-id-token.ts';
import type { SignedRequestParts } from './signature.ts';
import type { Fault, ServiceName } from './types.ts';

const MAX_BODY_BYTES = 1024 * 1024;
/** Limit shown in the message of an injected 429, in APIG's default per-minute form. */
const INJECTED_THROTTLE_LIMIT = 60;

export interface Route {
  service: ServiceName;
  projectId?: string;
  certificateId?: string;
  /** The certificate collection, one certificate, one of its sub-resources, or IAM's tokens. */
  resource:
    | 'collection'
    | 'certificate'
    | 'attached-domains'
    | 'attach'
    | 'detach'
    | 'token'
    | 'idToken'
    | 'unknown';
}

const CERTIFICATE_PATH =
  /^\/v2\/([^/]+)\/(apigw|apic)\/certificates(?:\/([^/]+)(\/attached-domains|\/domains\/attach|\/domains\/detach)?)?\/?$/;

const SUB_RESOURCES: Record<string, Route['resource']> = {
  '/attached-domains': 'attached-domains',
  '/domains/attach': 'attach',
  '/domains/detach': 'detach',
};

/** Throws on malformed percent-encoding. */
export function route(pathname: string): Route {
  if (pathname === '/v3/auth/tokens') return { service: 'iam', resource: 'token' };
  if (pathname === ID_TOKEN_EXCHANGE_PATH) return { service: 'iam', resource: 'idToken' };
  const match = CERTIFICATE_PATH.exec(pathname);
  if (!match) return { service: 'apigw', resource: 'unknown' };
  const [, projectId, service, certificateId, sub] = match;
  return {
    service: service as 'apigw' | 'apic',
    projectId: decodeURIComponent(projectId!),
    ...(certificateId !== undefined ? { certificateId: decodeURIComponent(certificateId) } : {}),
    resource:
      sub !== undefined
        ? SUB_RESOURCES[sub]!
        : certificateId !== undefined
          ? 'certificate'
          : 'collection',
  };
}

export function errorReply(error: ApigError): HttpReply {
  return { status: error.status, body: { error_code: error.code, error_msg: error.message } };
}

export function faultReply(
  fault: Exclude<Fault, { kind: 'latency' | 'reset' | 'applyLate' | 'holdAnswer' }>,
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

/** The whole body, or undefined when it exceeds 1 MiB. */
export async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function parseJson(body: Buffer, contentType: string | undefined): unknown {
  if (!isJsonContentType(contentType)) {
    throw new ApigError(400, 'APIG.2000', 'Parameter error: Content-Type must be application/json');
  }
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new ApigError(400, 'APIG.2000', 'Parameter error: the request body is not valid JSON');
  }
}

export type Operation = (
  projectId: string,
  parts: SignedRequestParts,
  query: URLSearchParams,
) => HttpReply;

/** The store operation a certificate route and method stand for; undefined: APIG has no such API. */
export function certificateOperation(
  store: CertificateStore,
  r: Route,
  method: string,
): Operation | undefined {
  const id = r.certificateId;
  const json = (parts: SignedRequestParts): unknown =>
    parseJson(Buffer.from(parts.body), parts.headers['content-type'] as string | undefined);
  const service = r.service === 'apic' ? 'apic' : 'apigw';
  if (r.resource === 'collection') {
    if (method === 'GET')
      return (projectId, _parts, query) => store.list(projectId, query, service);
    if (method === 'POST') return (projectId, parts) => store.create(projectId, json(parts));
    return undefined;
  }
  if (id === undefined) return undefined;
  switch (`${r.resource} ${method}`) {
    case 'certificate GET':
      return (projectId) => store.show(projectId, id);
    case 'certificate PUT':
      return (projectId, parts) => store.modify(projectId, id, json(parts));
    case 'certificate DELETE':
      return (projectId) => store.remove(projectId, id);
    case 'attached-domains GET':
      return (projectId, _parts, query) => store.attachedDomains(projectId, id, query);
    case 'attach POST':
      return (projectId, parts) => store.attach(projectId, id, json(parts));
    case 'detach POST':
      return (projectId, parts) => store.detach(projectId, id, json(parts));
    default:
      return undefined;
  }
}
