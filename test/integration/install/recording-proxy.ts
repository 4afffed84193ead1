// A plain-HTTP proxy in front of the test kube-apiserver that records every
// request it passes on, as RBAC sees it (verb, group, resource, namespace,
// name). It holds no credentials: each request goes upstream with the
// caller's own Authorization header, so the API server authorizes the
// caller's token and the recording shows exactly what that identity did.
import { Agent, request as httpsRequest } from 'node:https';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testKubeConfig } from '../../support/kube.ts';

/** One request as RBAC authorizes it (the apiserver's RequestInfo, for resource requests). */
export interface RecordedRequest {
  method: string;
  path: string;
  verb: string;
  group: string;
  /** With the subresource, e.g. `apigcertificates/status`. */
  resource: string;
  namespace: string | undefined;
  name: string | undefined;
  /** Response status; undefined if the request failed before one came. */
  status: number | undefined;
}

const VERBS: Readonly<Record<string, string>> = {
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/**
 * What kube-apiserver's RequestInfoFactory makes of a resource path:
 * `/api/v1/[namespaces/NS/]RESOURCE[/NAME[/SUB]]` or the same under
 * `/apis/GROUP/VERSION`. GET is get, list or watch (`?watch=1`).
 */
export function requestInfo(
  method: string,
  url: string,
): Omit<RecordedRequest, 'status' | 'method' | 'path'> {
  const { pathname, searchParams } = new URL(url, 'http://proxy');
  const segments = pathname
    .split('/')
    .filter((s) => s !== '')
    .map(decodeURIComponent);
  let group: string;
  let rest: string[];
  if (segments[0] === 'api') {
    group = '';
    rest = segments.slice(2);
  } else if (segments[0] === 'apis') {
    group = segments[1] ?? '';
    rest = segments.slice(3);
  } else {
    throw new Error(`not a resource path: ${pathname}`);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 2) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource = '', name, subresource] = rest;
  const watch = searchParams.get('watch');
  const verb =
    method === 'GET'
      ? name !== undefined
        ? 'get'
        : watch === '1' || watch === 'true'
          ? 'watch'
          : 'list'
      : (VERBS[method] ?? method.toLowerCase());
  return {
    verb,
    group,
    resource: subresource ? `${resource}/${subresource}` : resource,
    namespace,
    name,
  };
}

export class RecordingProxy {
  readonly requests: RecordedRequest[] = [];
  readonly #server: Server;
  readonly #upstream: URL;
  readonly #agent: Agent;

  private constructor(upstream: string, caPem: string | undefined) {
    this.#upstream = new URL(upstream);
    this.#agent = new Agent({ keepAlive: true, ...(caPem ? { ca: caPem } : {}) });
    this.#server = createServer((req, res) => this.#forward(req, res));
  }

  /** `caPem`: the CA of the API server's certificate. */
  static async start(upstream: string, caPem: string | undefined): Promise<RecordingProxy> {
    const proxy = new RecordingProxy(upstream, caPem);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** A proxy in front of the API server that the Jest global setup started. */
  static forTestApiserver(): Promise<RecordingProxy> {
    const cluster = testKubeConfig().getCurrentCluster()!;
    const caPem = cluster.caData ? Buffer.from(cluster.caData, 'base64').toString() : undefined;
    return RecordingProxy.start(cluster.server, caPem);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#agent.destroy();
  }

  #forward(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const record: RecordedRequest = {
      method,
      path,
      ...requestInfo(method, path),
      status: undefined,
    };
    this.requests.push(record);
    const upstream = httpsRequest(
      {
        protocol: this.#upstream.protocol,
        hostname: this.#upstream.hostname,
        port: this.#upstream.port,
        method,
        path,
        headers: { ...req.headers, host: this.#upstream.host },
        agent: this.#agent,
      },
      (answer) => {
        record.status = answer.statusCode;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        // The operator hung up (a watch it aborted): stop reading upstream.
        res.once('close', () => answer.destroy());
      },
    );
    upstream.once('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    req.pipe(upstream);
  }
}
