import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { ApigServerError } from '../../../src/apig/index.ts';
import type { ApigSimulator } from '../../support/apig-simulator/index.ts';
import {
  AUTH_MODES,
  clientFor,
  putValidLeaf,
  rejectionOf,
  shareSimulator,
} from './client-fixtures.ts';

let sim: ApigSimulator;

shareSimulator(
  (started) => {
    sim = started;
    sim.seedCertificate({ id: 'tls-cert', name: 'tls_cert' });
  },
  { tls: true },
);

describe('HTTPS with a custom CA bundle', () => {
  it('serves over https', () => {
    expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.caPem).toContain('BEGIN CERTIFICATE');
  });

  it.each(AUTH_MODES)('%s: trusts the server through caPem (IAM over HTTPS too)', async (mode) => {
    const client = clientFor(sim, mode, { caPem: sim.caPem });
    try {
      await expect(putValidLeaf(client, 'tls-cert')).resolves.toMatchObject({
        id: 'tls-cert',
      });
    } finally {
      await client.close();
    }
  });

  it('refuses the server without the CA: a server error naming the TLS failure', async () => {
    const client = clientFor(sim, 'token', { caPem: undefined });
    try {
      const error = await rejectionOf(putValidLeaf(client, 'tls-cert'));
      expect(error).toBeInstanceOf(ApigServerError);
      expect((error as ApigServerError).errorCode).toMatch(
        /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/,
      );
    } finally {
      await client.close();
    }
  });
});

/** A CONNECT proxy that counts tunnels. */
async function startConnectProxy(): Promise<{
  url: string;
  tunnels: string[];
  close(): Promise<void>;
}> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req, clientSocket: Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      clientSocket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(clientSocket).pipe(upstream);
    });
    for (const s of [clientSocket, upstream]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const PROXY_VARIABLES = [
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'NO_PROXY',
  'no_proxy',
];

describe('proxy from the environment', () => {
  let saved: Record<string, string | undefined>;
  beforeEach(() => {
    saved = Object.fromEntries(PROXY_VARIABLES.map((name) => [name, process.env[name]]));
    for (const name of PROXY_VARIABLES) delete process.env[name];
  });
  afterEach(() => {
    for (const name of PROXY_VARIABLES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('tunnels through HTTPS_PROXY, still verifying APIG with the custom CA', async () => {
    const proxy = await startConnectProxy();
    process.env.HTTPS_PROXY = proxy.url;
    const client = clientFor(sim, 'aksk', { caPem: sim.caPem });
    try {
      await putValidLeaf(client, 'tls-cert');
      expect(proxy.tunnels).toEqual([new URL(sim.url).host]);
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  it('goes direct for hosts in NO_PROXY', async () => {
    const proxy = await startConnectProxy();
    process.env.HTTPS_PROXY = proxy.url;
    process.env.NO_PROXY = 'localhost,127.0.0.1';
    const client = clientFor(sim, 'token', { caPem: sim.caPem });
    try {
      await putValidLeaf(client, 'tls-cert');
      expect(proxy.tunnels).toEqual([]);
    } finally {
      await client.close();
      await proxy.close();
    }
  });
});
