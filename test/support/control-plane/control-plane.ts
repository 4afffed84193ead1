import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import type { ControlPlaneBinaries } from './binaries.ts';

export interface ControlPlaneInfo {
  kubeconfig: string;
  server: string;
  /** Admin bearer token (system:masters). */
  token: string;
  /** PEM of the CA that signed the apiserver's serving certificate. */
  caPem: string;
  version: string;
  etcdVersion: string;
  dir: string;
  kubectl: string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function tail(path: string, lines = 40): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * An etcd and a kube-apiserver started as child processes on free loopback
 * ports in a temporary folder, as controller-runtime's envtest does. RBAC is on;
 * the admin identity is a static token in group system:masters.
 */
export class ControlPlane {
  private readonly binaries: ControlPlaneBinaries;
  private etcd: ChildProcess | undefined;
  private apiserver: ChildProcess | undefined;
  private dir = '';
  private etcdPort = 0;
  private apiPort = 0;
  private token = '';
  info: ControlPlaneInfo | undefined;

  constructor(binaries: ControlPlaneBinaries) {
    this.binaries = binaries;
  }

  get etcdLog(): string {
    return join(this.dir, 'etcd.log');
  }

  get apiserverLog(): string {
    return join(this.dir, 'kube-apiserver.log');
  }

  /** PID of the running kube-apiserver, for fault tests that signal it (SIGKILL, SIGSTOP). */
  get apiserverPid(): number | undefined {
    return this.apiserver?.pid;
  }

  async start(timeoutMs = 120_000): Promise<ControlPlaneInfo> {
    this.dir = await mkdtemp(join(tmpdir(), 'apig-cert-operator-cp-'));
    try {
      await this.startEtcd(timeoutMs);
      await this.prepareApiserver();
      await this.startApiserver(timeoutMs);
      return (this.info = await this.describe());
    } catch (error) {
      const logs = `--- etcd (last lines) ---\n${tail(this.etcdLog)}\n--- kube-apiserver (last lines) ---\n${tail(this.apiserverLog)}`;
      await this.stop();
      throw new Error(`${(error as Error).message}\n${logs}`, { cause: error });
    }
  }

  private spawnLogged(binary: string, args: string[], log: string): ChildProcess {
    const out = createWriteStream(log);
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    return child;
  }

  private async startEtcd(timeoutMs: number): Promise<void> {
    this.etcdPort = await freePort();
    const peerPort = await freePort();
    const client = `http://127.0.0.1:${this.etcdPort}`;
    this.etcd = this.spawnLogged(
      this.binaries.etcd,
      [
        `--data-dir=${join(this.dir, 'etcd')}`,
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
        '--unsafe-no-fsync=true',
      ],
      this.etcdLog,
    );
    await this.waitFor('etcd', this.etcd, timeoutMs, async () => {
      const res = await request(`${client}/health`);
      const body = await res.body.text();
      return res.statusCode === 200 && body.includes('"true"');
    });
  }

  /** Port, admin token and service-account keys: chosen once so a restart keeps them. */
  private async prepareApiserver(): Promise<void> {
    this.apiPort = await freePort();
    this.token = randomBytes(24).toString('hex');
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await writeFile(join(this.dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    await writeFile(join(this.dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await writeFile(join(this.dir, 'tokens.csv'), `${this.token},admin,admin,"system:masters"\n`);
  }

  private async startApiserver(timeoutMs: number): Promise<void> {
    this.apiserver = this.spawnLogged(
      this.binaries.kubeApiserver,
      [
        `--etcd-servers=http://127.0.0.1:${this.etcdPort}`,
        `--secure-port=${this.apiPort}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--cert-dir=${join(this.dir, 'certs')}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        '--authorization-mode=RBAC',
        `--token-auth-file=${join(this.dir, 'tokens.csv')}`,
        `--service-account-issuer=https://127.0.0.1:${this.apiPort}/`,
        `--service-account-key-file=${join(this.dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(this.dir, 'sa.key')}`,
        '--disable-admission-plugins=ServiceAccount',
        '--allow-privileged=true',
      ],
      this.apiserverLog,
    );
    const insecure = new Agent({ connect: { rejectUnauthorized: false } });
    try {
      await this.waitFor('kube-apiserver', this.apiserver, timeoutMs, async () => {
        const res = await request(`https://127.0.0.1:${this.apiPort}/readyz`, {
          dispatcher: insecure,
          headers: { authorization: `Bearer ${this.token}` },
        });
        await res.body.dump();
        return res.statusCode === 200;
      });
    } finally {
      await insecure.close();
    }
  }

  private async waitFor(
    name: string,
    child: ChildProcess,
    timeoutMs: number,
    ready: () => Promise<boolean>,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) while starting`);
      }
      if (await ready().catch(() => false)) return;
      await sleep(200);
    }
    throw new Error(`${name} was not ready within ${timeoutMs / 1000}s`);
  }

  private async describe(): Promise<ControlPlaneInfo> {
    const server = `https://127.0.0.1:${this.apiPort}`;
    // The apiserver generated its serving certificate; the file holds the leaf
    // and the self-signed CA that issued it, which is what a client must trust.
    const caPem = await readFile(join(this.dir, 'certs', 'apiserver.crt'), 'utf8');
    const kubeconfig = join(this.dir, 'kubeconfig');
    await writeFile(kubeconfig, kubeconfigYaml(server, caPem, this.token), { mode: 0o600 });
    const dispatcher = new Agent({ connect: { ca: caPem } });
    try {
      const res = await request(`${server}/version`, {
        dispatcher,
        headers: { authorization: `Bearer ${this.token}` },
      });
      const { gitVersion } = (await res.body.json()) as { gitVersion: string };
      const etcdRes = await request(`http://127.0.0.1:${this.etcdPort}/version`);
      const { etcdserver } = (await etcdRes.body.json()) as { etcdserver: string };
      return {
        kubeconfig,
        server,
        token: this.token,
        caPem,
        version: gitVersion,
        etcdVersion: etcdserver,
        dir: this.dir,
        kubectl: this.binaries.kubectl,
      };
    } finally {
      await dispatcher.close();
    }
  }

  /** Stops the apiserver, then etcd, and removes the folder. Safe to call twice. */
  async stop(): Promise<void> {
    await stopProcess(this.apiserver);
    await stopProcess(this.etcd);
    this.apiserver = this.etcd = undefined;
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  /** Kills the apiserver and starts it again on the same port, token and data (fault tests). */
  async restartApiserver(timeoutMs = 120_000): Promise<void> {
    await stopProcess(this.apiserver);
    await this.startApiserver(timeoutMs);
  }
}

async function stopProcess(child: ChildProcess | undefined, graceMs = 5_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

function kubeconfigYaml(server: string, caPem: string, token: string): string {
  const ca = Buffer.from(caPem).toString('base64');
  return `apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: ${server}
    certificate-authority-data: ${ca}
users:
- name: admin
  user:
    token: ${token}
contexts:
- name: test
  context:
    cluster: test
    user: admin
current-context: test
`;
}
