// KubeClient over real TLS: one shared connection pool while the kubeconfig's
// TLS material stays the same, a fresh one once a rotated file says otherwise.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { KubeConfig } from '@kubernetes/client-node';
import { isKubeApiError, KubeApiError, KubeClient } from '../../../src/kube/kube-client.ts';
import { createCA, type CertificateAuthority } from '../../support/certs.ts';

let ca: CertificateAuthority;
let server: Server;
let dir: string;
let connections = 0;

beforeAll(async () => {
  ca = await createCA();
  const serving = await ca.issue({ commonName: 'localhost', ipAddresses: ['127.0.0.1'] });
  server = createServer(
    { cert: serving.chainPem, key: serving.keyPem, requestCert: true, rejectUnauthorized: false },
    (request, response) => {
      const peer = (request.socket as TLSSocket).getPeerCertificate();
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ client: peer.subject?.CN }));
    },
  );
  server.on('secureConnection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  dir = await mkdtemp(join(tmpdir(), 'kube-client-'));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

async function writeClientCertificate(commonName: string): Promise<void> {
  const issued = await ca.issue({ commonName, dnsNames: [] });
  await writeFile(join(dir, 'client.crt'), issued.certPem);
  await writeFile(join(dir, 'client.key'), issued.keyPem);
}

function fileKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: 'c',
        server: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
        caFile: join(dir, 'ca.crt'),
      },
    ],
    users: [{ name: 'u', certFile: join(dir, 'client.crt'), keyFile: join(dir, 'client.key') }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kubeConfig;
}

describe('KubeClient TLS material', () => {
  it('reuses one connection while the client certificate stays, and presents a rotated one', async () => {
    await writeFile(join(dir, 'ca.crt'), ca.certPem);
    await writeClientCertificate('client-a');
    const client = new KubeClient(fileKubeConfig());
    const whoami = async (): Promise<{ client: string }> => {
      const answer = await client.json<{ client: string }>({ path: '/whoami' });
      // Let undici put the connection back in the pool before the next request.
      await new Promise((resolve) => setTimeout(resolve, 20));
      return answer;
    };
    connections = 0;
    try {
      expect(await whoami()).toEqual({ client: 'client-a' });
      expect(await whoami()).toEqual({ client: 'client-a' });
      expect(connections).toBe(1);

      await writeClientCertificate('client-b');
      expect(await whoami()).toEqual({ client: 'client-b' });
      expect(await whoami()).toEqual({ client: 'client-b' });
      expect(connections).toBe(2);
    } finally {
      await client.close();
    }
  });
});

describe('isKubeApiError', () => {
  const conflict = new KubeApiError(409, { reason: 'Conflict', message: 'changed' }, 'PATCH x');
  it.each([
    [conflict, undefined, true],
    [conflict, 409, true],
    [conflict, 404, false],
    [new Error('409'), undefined, false],
    [{ kind: 'kubeApi', statusCode: 409 }, 409, false],
    [undefined, undefined, false],
  ])('%p with status %p -> %p', (error, statusCode, expected) => {
    expect(isKubeApiError(error, statusCode)).toBe(expected);
  });

  it('says what failed, with the Status reason and message', () => {
    expect(conflict.message).toBe('PATCH x: 409 Conflict changed');
    expect(conflict.kind).toBe('kubeApi');
  });
});
