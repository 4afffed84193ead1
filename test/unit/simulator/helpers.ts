// Test-side tools for the simulator's own tests: a raw HTTP caller and a small
// SDK-HMAC-SHA256 signer written independently of both src/apig and the
// simulator's verifier (the published vectors pin the verifier separately).
import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface SimResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface SendOptions {
  method?: string;
  /** Path and query exactly as sent. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  ca?: string;
}

export function send(baseUrl: string, opts: SendOptions): Promise<SimResponse> {
  const url = new URL(baseUrl);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: opts.method ?? 'GET',
        path: opts.path,
        headers: opts.headers ?? {},
        ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

export interface ApigErrorBody {
  error_code: string;
  error_msg: string;
}

export function errorOf(res: SimResponse): ApigErrorBody {
  return JSON.parse(res.text) as ApigErrorBody;
}

export function jsonOf<T = Record<string, unknown>>(res: SimResponse): T {
  return JSON.parse(res.text) as T;
}

function encode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

export interface SignInput {
  method: string;
  /** Decoded path segments joined with '/', e.g. '/v2/p/apigw/certificates/id'. */
  path: string;
  query?: [string, string][];
  /** Headers sent and signed (names any case); Host must be among them to be signed. */
  headers: Record<string, string>;
  body?: string | Buffer;
  ak: string;
  sk: string;
  date: Date;
  /** Extra headers sent but not signed. */
  unsignedHeaders?: Record<string, string>;
}

export function sdkDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** Returns the request path (encoded, with query) and the headers to send, Authorization included. */
export function signRequest(input: SignInput): { path: string; headers: Record<string, string> } {
  const headers: Record<string, string> = { ...input.headers, 'X-Sdk-Date': sdkDate(input.date) };
  const encodedPath = input.path.split('/').map(encode).join('/');
  const query = (input.query ?? []).map(([k, v]) => [encode(k), encode(v)] as const);
  const sortedQuery = [...query].sort(([a, av], [b, bv]) =>
    a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1,
  );
  const names = Object.keys(headers)
    .map((name) => name.toLowerCase())
    .sort();
  const lowerHeaders = Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v.trim()]),
  );
  const canonical = [
    input.method,
    encodedPath.endsWith('/') ? encodedPath : `${encodedPath}/`,
    sortedQuery.map(([k, v]) => `${k}=${v}`).join('&'),
    names.map((name) => `${name}:${lowerHeaders[name]}\n`).join(''),
    names.join(';'),
    createHash('sha256')
      .update(input.body ?? '')
      .digest('hex'),
  ].join('\n');
  const toSign = `SDK-HMAC-SHA256\n${headers['X-Sdk-Date']}\n${createHash('sha256').update(canonical).digest('hex')}`;
  const signature = createHmac('sha256', input.sk).update(toSign).digest('hex');
  return {
    path:
      encodedPath + (query.length > 0 ? '?' + query.map(([k, v]) => `${k}=${v}`).join('&') : ''),
    headers: {
      ...headers,
      ...input.unsignedHeaders,
      Authorization: `SDK-HMAC-SHA256 Access=${input.ak}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
    },
  };
}
