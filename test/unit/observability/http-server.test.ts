import { once } from 'node:events';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { Agent, request } from 'undici';
import { createLogger } from '../../../src/log.ts';
import { OperatorHttpServer } from '../../../src/observability/http-server.ts';
import type { Readiness } from '../../../src/observability/http-server.ts';
import { Metrics } from '../../../src/observability/metrics.ts';

interface Running {
  server: OperatorHttpServer;
  metrics: Metrics;
  base: string;
  setReadiness: (readiness: Readiness | (() => Readiness)) => void;
  logLines: string[];
}

let running: Running[] = [];
/** Keep-alive connections, as a Prometheus scraper or kubelet would hold them. */
let agent: Agent;

beforeEach(() => {
  agent = new Agent({ keepAliveTimeout: 60_000 });
});

afterEach(async () => {
  await Promise.all(running.map((r) => r.server.close()));
  running = [];
  await agent.close();
});

async function startServer(): Promise<Running> {
  const metrics = new Metrics({ defaultMetrics: false });
  const logLines: string[] = [];
  const logger = createLogger({
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString());
        done();
      },
    }),
  });
  let readiness: () => Readiness = () => ({ ready: false, reason: 'caches not synced' });
  const server = new OperatorHttpServer({ metrics, logger, isReady: () => readiness() });
  const address = await server.start(0, '127.0.0.1');
  const started: Running = {
    server,
    metrics,
    base: `http://127.0.0.1:${address.port}`,
    setReadiness: (next) => {
      readiness = typeof next === 'function' ? next : () => next;
    },
    logLines,
  };
  running.push(started);
  return started;
}

async function get(
  url: string,
  method: 'GET' | 'HEAD' | 'POST' = 'GET',
): Promise<{ status: number; body: string; contentType: string | undefined }> {
  const response = await request(url, { method, dispatcher: agent });
  const contentType = response.headers['content-type'];
  return {
    status: response.statusCode,
    body: await response.body.text(),
    contentType: Array.isArray(contentType) ? contentType[0] : contentType,
  };
}

describe('OperatorHttpServer', () => {
  it('listens on a free port when given port 0', async () => {
    const { base } = await startServer();
    expect(Number(new URL(base).port)).toBeGreaterThan(0);
  });

  it('answers /healthz with 200 while the process runs', async () => {
    const { base } = await startServer();
    await expect(get(`${base}/healthz`)).resolves.toEqual({
      status: 200,
      body: 'ok\n',
      contentType: 'text/plain; charset=utf-8',
    });
  });

  it('flips /readyz with the readiness callback and says why it is not ready', async () => {
    const { base, setReadiness } = await startServer();
    await expect(get(`${base}/readyz`)).resolves.toMatchObject({
      status: 503,
      body: 'not ready: caches not synced\n',
    });
    setReadiness({ ready: true });
    await expect(get(`${base}/readyz`)).resolves.toMatchObject({ status: 200, body: 'ok\n' });
    setReadiness({ ready: false, reason: 'lost the API server' });
    await expect(get(`${base}/readyz?verbose`)).resolves.toMatchObject({
      status: 503,
      body: 'not ready: lost the API server\n',
    });
  });

  it('is not ready when the readiness callback throws, and logs it', async () => {
    const { base, setReadiness, logLines } = await startServer();
    setReadiness(() => {
      throw new Error('store closed');
    });
    await expect(get(`${base}/readyz`)).resolves.toMatchObject({
      status: 503,
      body: 'not ready: readiness check failed\n',
    });
    expect(logLines.join('')).toContain('store closed');
  });

  it('serves /metrics in the Prometheus text format; series come and go with the resource', async () => {
    const { base, metrics } = await startServer();
    const series = 'apig_certificate_ready{namespace="shop",name="www"} 1';
    metrics.setResourceState('shop', 'www', {
      certificateId: 'c1',
      ready: true,
      notAfter: new Date('2031-08-16T06:36:13Z'),
    });
    const before = await get(`${base}/metrics`);
    expect(before.status).toBe(200);
    expect(before.contentType).toBe(metrics.contentType);
    expect(before.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(before.body).toContain(series);
    expect(before.body).toContain(
      'apig_certificate_not_after_seconds{namespace="shop",name="www",certificate_id="c1"} 1944628573',
    );
    metrics.removeResource('shop', 'www');
    const after = await get(`${base}/metrics`);
    expect(after.body).not.toContain('namespace="shop"');
    expect(after.body).toContain('# TYPE apig_certificate_ready gauge');
  });

  it('answers 500 when collecting metrics fails, logs it and keeps serving', async () => {
    const { base, metrics, logLines } = await startServer();
    metrics.setQueueDepthSource(() => {
      throw new Error('queue gone');
    });
    await expect(get(`${base}/metrics`)).resolves.toMatchObject({ status: 500 });
    expect(logLines.join('')).toContain('queue gone');
    await expect(get(`${base}/healthz`)).resolves.toMatchObject({ status: 200 });
  });

  it.each<[string, 'GET' | 'HEAD' | 'POST', number, string]>([
    ['/nope', 'GET', 404, 'not found\n'],
    ['/healthz', 'POST', 405, 'method not allowed\n'],
    ['/healthz', 'HEAD', 200, ''],
  ])('%s with %s -> %d', async (path, method, status, body) => {
    const { base } = await startServer();
    await expect(get(`${base}${path}`, method)).resolves.toMatchObject({ status, body });
  });

  it('refuses a port that is taken', async () => {
    const { base } = await startServer();
    const other = new OperatorHttpServer({
      metrics: new Metrics({ defaultMetrics: false }),
      logger: createLogger({ level: 'silent' }),
      isReady: () => ({ ready: true }),
    });
    await expect(other.start(Number(new URL(base).port), '127.0.0.1')).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
  });

  it('closes promptly although a scraper holds a keep-alive connection', async () => {
    const { base, server } = await startServer();
    await get(`${base}/metrics`);
    // Without closeAllConnections this would wait for the idle connection.
    await server.close();
    await expect(get(`${base}/healthz`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await server.close(); // a second close is harmless
  });

  it('closes promptly although a client is half-way through sending a request', async () => {
    const { base, server } = await startServer();
    const socket = connect(Number(new URL(base).port), '127.0.0.1');
    // The server resets the connection; that is the point.
    socket.on('error', () => undefined);
    const socketClosed = new Promise((resolve) => socket.once('close', resolve));
    await once(socket, 'connect');
    // Headers never finished: an active connection that close() alone would wait for.
    socket.write('GET /healthz HTTP/1.1\r\nHost: probe\r\n');
    await server.close();
    await socketClosed;
  });
});
