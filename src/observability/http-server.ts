// Probes and metrics on one plain HTTP port (HTTP_PORT): /healthz, /readyz,
// /metrics. Nothing here reads a request body or serves anything else.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.ts';
import type { Metrics } from './metrics.ts';

export type Readiness = { ready: true } | { ready: false; reason: string };

export interface HttpServerOptions {
  metrics: Metrics;
  /** Asked at every /readyz; e.g. caches synced and, when leading, the controller running. */
  isReady: () => Readiness;
  logger: Logger;
}

const TEXT = 'text/plain; charset=utf-8';

export class OperatorHttpServer {
  readonly #options: HttpServerOptions;
  readonly #server: Server;

  constructor(options: HttpServerOptions) {
    this.#options = options;
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error: unknown) => {
        this.#options.logger.error({ err: error, path: request.url }, 'HTTP handler failed');
        if (!response.headersSent) reply(response, 500, 'internal error\n');
        else response.destroy();
      });
    });
    // A probe that needs more than this is failing anyway.
    this.#server.requestTimeout = 30_000;
  }

  /** Listens on `port` (0: any free port) and resolves with the bound address. */
  start(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.#server.once('error', onError);
      this.#server.listen(port, host, () => {
        this.#server.off('error', onError);
        resolve(this.#server.address() as AddressInfo);
      });
    });
  }

  /** Stops listening and drops every connection, keep-alive ones included. */
  close(): Promise<void> {
    if (!this.#server.listening) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#server.close((error) => (error ? reject(error) : resolve()));
      this.#server.closeAllConnections();
    });
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      reply(response, 405, 'method not allowed\n');
      return;
    }
    const path = new URL(request.url ?? '/', 'http://probe').pathname;
    switch (path) {
      case '/healthz':
        // Answering at all proves the event loop runs.
        reply(response, 200, 'ok\n');
        return;
      case '/readyz': {
        const readiness = this.#readiness();
        if (readiness.ready) reply(response, 200, 'ok\n');
        else reply(response, 503, `not ready: ${readiness.reason}\n`);
        return;
      }
      case '/metrics': {
        const text = await this.#options.metrics.render();
        reply(response, 200, text, this.#options.metrics.contentType);
        return;
      }
      default:
        reply(response, 404, 'not found\n');
    }
  }

  #readiness(): Readiness {
    try {
      return this.#options.isReady();
    } catch (error) {
      this.#options.logger.error({ err: error }, 'readiness check failed');
      return { ready: false, reason: 'readiness check failed' };
    }
  }
}

function reply(response: ServerResponse, status: number, body: string, contentType = TEXT): void {
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  // HEAD gets the headers only; end() ignores the body for HEAD responses.
  response.end(body);
}
