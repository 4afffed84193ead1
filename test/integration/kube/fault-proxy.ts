// A plain-HTTP proxy in front of the test kube-apiserver that injects network
// faults a real cluster shows: cut watch connections, silent stalls (the
// socket stays open, nothing arrives), HTTP errors with Retry-After, a watch
// that expires (410) and a blackhole for every request. Requests travel to the
// real API server with the admin credentials; tests point the code under test
// at `kubeConfig()`.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { headerValue } from '../../../src/common/http-request.ts';
import { KubeClient } from '../../../src/kube/kube-client.ts';
import type { KubeRequest } from '../../../src/kube/kube-client.ts';

export interface LoggedRequest {
  at: number;
  method: string;
  path: string;
  query: URLSearchParams;
  watch: boolean;
  /** Status the proxy answered with (undefined while a stream is open). */
  status?: number;
}

interface HttpFault {
  status: number;
  retryAfterSeconds?: number;
  remaining: number;
}

/** The Status a kube-apiserver sends when a watch's resourceVersion is too old. */
export function expiredStatusLine(resourceVersion: string): string {
  return `${JSON.stringify({
    type: 'ERROR',
    object: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `too old resource version: ${resourceVersion} (${Number(resourceVersion) + 1000})`,
      reason: 'Expired',
      code: 410,
    },
  })}\n`;
}

export class FaultProxy {
  readonly requests: LoggedRequest[] = [];
  readonly #server: Server;
  readonly #upstream: KubeClient;
  readonly #openWatches = new Set<ServerResponse>();
  #stalled = false;
  #blackhole = false;
  #expireNextWatch = false;
  #httpFault: HttpFault | undefined;

  private constructor(upstream: KubeConfig) {
    this.#upstream = new KubeClient(upstream);
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  static async start(upstream: KubeConfig): Promise<FaultProxy> {
    const proxy = new FaultProxy(upstream);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** A KubeConfig whose server is this proxy (no credentials needed). */
  kubeConfig(): KubeConfig {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'proxy', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'through-proxy' }],
      contexts: [{ name: 'proxy', cluster: 'proxy', user: 'through-proxy' }],
      currentContext: 'proxy',
    });
    return kubeConfig;
  }

  /** Watch streams currently open through the proxy. */
  get openWatches(): number {
    return this.#openWatches.size;
  }

  watchRequests(): LoggedRequest[] {
    return this.requests.filter((r) => r.watch);
  }

  listRequests(): LoggedRequest[] {
    return this.requests.filter((r) => !r.watch && r.method === 'GET');
  }

  /** Drops every watch connection now, as a dying load balancer would. */
  cutWatches(): number {
    const count = this.#openWatches.size;
    for (const res of this.#openWatches) res.destroy();
    this.#openWatches.clear();
    return count;
  }

  /** While on, open and new watch streams deliver nothing (their bytes are dropped). */
  stallWatches(on: boolean): void {
    this.#stalled = on;
  }

  /** The next watch request is answered with a 410 Expired ERROR event. */
  expireNextWatch(): void {
    this.#expireNextWatch = true;
  }

  /** The next `count` requests get `status` (with Retry-After when given). */
  failNext(count: number, status: number, retryAfterSeconds?: number): void {
    this.#httpFault = { status, retryAfterSeconds, remaining: count };
  }

  /** While on, requests are held unanswered and open streams go silent. */
  blackhole(on: boolean): void {
    this.#blackhole = on;
    this.#stalled = on;
  }

  async close(): Promise<void> {
    this.cutWatches();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await this.#upstream.close();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const watch = url.searchParams.get('watch') === '1' || url.searchParams.get('watch') === 'true';
    const entry: LoggedRequest = {
      at: Date.now(),
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      watch,
    };
    this.requests.push(entry);
    const body = await readBody(req);

    if (this.#blackhole) return; // never answered; the client's own timeout must act

    const fault = this.#httpFault;
    if (fault && fault.remaining > 0) {
      fault.remaining--;
      entry.status = fault.status;
      res.writeHead(fault.status, {
        'content-type': 'application/json',
        ...(fault.retryAfterSeconds !== undefined
          ? { 'retry-after': String(fault.retryAfterSeconds) }
          : {}),
      });
      res.end(JSON.stringify({ kind: 'Status', code: fault.status, message: 'injected by proxy' }));
      return;
    }

    if (watch && this.#expireNextWatch) {
      this.#expireNextWatch = false;
      entry.status = 200;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(expiredStatusLine(url.searchParams.get('resourceVersion') ?? '0'));
      return;
    }

    const controller = new AbortController();
    res.on('close', () => controller.abort());
    const query = Object.fromEntries(url.searchParams.entries());
    const request: KubeRequest = {
      method: entry.method as KubeRequest['method'],
      path: url.pathname,
      query,
      accept: req.headers.accept,
      contentType: req.headers['content-type'],
      body: body === '' ? undefined : (JSON.parse(body) as unknown),
      signal: controller.signal,
    };
    try {
      const upstream = await this.#upstream.stream(request);
      entry.status = upstream.statusCode;
      res.writeHead(upstream.statusCode, {
        'content-type': headerValue(upstream.headers, 'content-type') ?? 'application/json',
      });
      // The API server sends a watch's headers at once; so must the proxy.
      res.flushHeaders();
      if (watch) this.#openWatches.add(res);
      for await (const chunk of upstream.body as AsyncIterable<Uint8Array>) {
        if (!(watch && this.#stalled)) res.write(chunk);
      }
      res.end();
    } catch {
      res.destroy();
    } finally {
      this.#openWatches.delete(res);
    }
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
