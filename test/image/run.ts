// `npm run test:image`: builds the container image from a clean checkout of
// HEAD with buildah, checks what is in it, and runs it with podman the way
// deploy/base/deployment.yaml runs it (read-only root, uid 65532, no
// capabilities, the Deployment's memory limit, AK/SK as *_FILE from a mounted
// folder) against a local control plane and the APIG simulator: first sync,
// one rotation, /metrics, and SIGTERM within the grace period.
//
// A script rather than a Jest project so that `npm test` keeps working on a
// machine without podman; .ci/run always runs it. Needs root (podman image
// mount, chown of the mounted files) and podman, buildah, runc, debootstrap.
import { execFile } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { promisify } from 'node:util';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueCertificate } from '../support/certs.ts';
import { createScenario } from '../support/scenario.ts';
import { ensureBinaries } from '../support/control-plane/binaries.ts';
import {
  ControlPlane,
  freePort,
  type ControlPlaneInfo,
} from '../support/control-plane/control-plane.ts';
import { runningDevCluster } from '../support/control-plane/dev-cluster.ts';
import { eventually } from '../support/eventually.ts';
import { atExit, exitAfterCleanup } from '../support/exit-cleanup.ts';

const run = promisify(execFile);
const IMAGE = 'localhost/apig-cert-operator:ci';
const BASE = 'docker.io/library/node:24-bookworm-slim';
const CERTIFICATE_ID = 'image-cert-0001';
const AK = 'IMAGETESTACCESSKEY01';
const SK = randomBytes(20).toString('hex');
const UID = 65532;
// podman needs these on our machines: crun refuses the hybrid cgroup layout,
// and the default ulimits need CAP_SYS_RESOURCE, which the machine lacks.
const PODMAN_RUN = [
  '--runtime',
  'runc',
  '--cgroup-manager=cgroupfs',
  'run',
  '--ulimit',
  'nofile=10000:10000',
  '--ulimit',
  'nproc=1000:1000',
];

const started = Date.now();
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const say = (text: string) =>
  process.stdout.write(`[${seconds(Date.now() - started).padStart(7)}] ${text}\n`);
const results: { name: string; ok: boolean; detail: string }[] = [];
const measured: string[] = [];

function check(name: string, ok: boolean, detail: string): void {
  results.push({ name, ok, detail });
  say(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${detail}`);
}

async function sh(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      ...opts,
    });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    const tail = `${e.stdout ?? ''}${e.stderr ?? ''}`.split('\n').slice(-40).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message.split('\n')[0]}\n${tail}`, {
      cause: error,
    });
  }
}

async function timed<T>(what: string, f: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  const value = await f();
  const ms = Date.now() - t0;
  say(`${what}: ${seconds(ms)}`);
  measured.push(`${what}: ${seconds(ms)}`);
  return value;
}

function requireTools(): void {
  const path = (process.env.PATH ?? '').split(':').filter((dir) => dir !== '');
  const missing = ['podman', 'buildah', 'runc', 'debootstrap'].filter(
    (tool) => !path.some((dir) => existsSync(join(dir, tool))),
  );
  if (missing.length > 0) {
    throw new Error(
      `${missing.join(', ')} not found: the image test needs them (Debian/Ubuntu: apt-get install -y podman buildah runc debootstrap uidmap fuse-overlayfs)`,
    );
  }
  if (process.getuid?.() !== 0) {
    throw new Error('the image test runs as root (podman image mount, files owned by uid 65532)');
  }
}

/** The memory limit of deploy/base/deployment.yaml, so the run and the Deployment stay in step. */
function deploymentMemoryLimit(): { text: string; bytes: number } {
  const yaml = readFileSync('deploy/base/deployment.yaml', 'utf8');
  const match = /limits:\s*\n(?:\s+\w+:.*\n)*?\s+memory:\s*(\d+)(Mi|Gi)/.exec(yaml);
  if (!match)
    throw new Error('deploy/base/deployment.yaml has no resources.limits.memory in Mi or Gi');
  const mib = Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
  return { text: `${match[1]}${match[2]}`, bytes: mib * 1024 * 1024 };
}

function gracePeriodSeconds(): number {
  const match = /terminationGracePeriodSeconds:\s*(\d+)/.exec(
    readFileSync('deploy/base/deployment.yaml', 'utf8'),
  );
  if (!match) throw new Error('deploy/base/deployment.yaml has no terminationGracePeriodSeconds');
  return Number(match[1]);
}

/** The host's CA bundle reaches npm ci as a build secret; without one, Node's own roots are used. */
function caBundle(): string | undefined {
  const path = process.env.NPM_CA_BUNDLE ?? '/etc/ssl/certs/ca-certificates.crt';
  return existsSync(path) ? path : undefined;
}

async function buildImage(work: string, bundle: string | undefined): Promise<void> {
  const context = join(work, 'checkout');
  // A clean checkout of HEAD: what a user clones, not the dev tree with its
  // node_modules, dist/ and uncommitted files.
  await sh('sh', ['-c', `mkdir -p "${context}" && git archive HEAD | tar -x -C "${context}"`]);
  const version = (await sh('git', ['describe', '--always', '--dirty'])).trim();
  say(`building ${IMAGE} from HEAD (${version}) with buildah bud`);
  await sh(
    'buildah',
    [
      'bud',
      '--runtime',
      'runc',
      '--network',
      'host',
      '--layers',
      '--build-arg',
      `VERSION=${version}`,
      ...(bundle ? ['--secret', `id=npm_ca,src=${bundle}`] : []),
      '-t',
      IMAGE,
      '.',
    ],
    { cwd: context },
  );
}

interface ImageConfig {
  Size: number;
  Config: { User?: string; Entrypoint?: string[]; Cmd?: string[]; WorkingDir?: string };
}

async function inspectImage(name: string): Promise<ImageConfig> {
  const [config] = JSON.parse(await sh('podman', ['image', 'inspect', name])) as ImageConfig[];
  if (!config) throw new Error(`podman image inspect ${name} returned nothing`);
  return config;
}

/** The base64 lines of certificates in the host bundle that Node does not ship itself. */
function hostOnlyCertificateLines(bundle: string): string[] {
  const nodeRoots = new Set(rootCertificates.map((pem) => new X509Certificate(pem).fingerprint256));
  const blocks = readFileSync(bundle, 'utf8').match(
    /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g,
  );
  return (blocks ?? [])
    .filter((pem) => !nodeRoots.has(new X509Certificate(pem).fingerprint256))
    .map((pem) => pem.split('\n')[3] ?? '')
    .filter((line) => line.length === 64);
}

/** Every layer of the image, as tar files: no secret path and no host-only CA certificate in any. */
async function checkLayersForBundle(work: string, bundle: string | undefined): Promise<void> {
  const dir = join(work, 'saved');
  await sh('podman', [
    'save',
    '--quiet',
    '--uncompressed',
    '--format',
    'docker-dir',
    '-o',
    dir,
    IMAGE,
  ]);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
    layers: { digest: string }[];
  };
  const layers = manifest.layers.map((l) => l.digest.replace(/^sha256:/, ''));
  const lines = bundle ? hostOnlyCertificateLines(bundle) : [];
  const found: string[] = [];
  for (const layer of layers) {
    const path = join(dir, layer);
    const names = await sh('tar', ['-tf', path]);
    for (const name of names.split('\n')) {
      if (/(^|\/)(run\/secrets\/npm_ca|ca-certificates\.crt)$/.test(name)) {
        found.push(`${layer.slice(0, 12)}: ${name}`);
      }
    }
    const content = readFileSync(path);
    for (const line of lines) {
      if (content.includes(line)) found.push(`${layer.slice(0, 12)}: a host CA certificate`);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  check(
    'no layer holds the build CA bundle',
    layers.length > 0 && found.length === 0,
    found.length > 0
      ? found.join('; ')
      : `${layers.length} layers searched for the secret's path and for ${lines.length} host-only CA certificates${bundle ? ` of ${bundle}` : ' (no host bundle)'}`,
  );
}

/**
 * /app is the bundle alone: dist/main.js with its package.json (which makes it
 * an ES module), no node_modules, no source. The run below proves it needs nothing else.
 */
async function checkAppFiles(): Promise<void> {
  const root = (await sh('podman', ['image', 'mount', IMAGE])).trim();
  try {
    const app = join(root, 'app');
    const entries = readdirSync(app).sort();
    const dist = readdirSync(join(app, 'dist')).sort();
    const distType = existsSync(join(app, 'dist/package.json'))
      ? (JSON.parse(readFileSync(join(app, 'dist/package.json'), 'utf8')) as { type?: string }).type
      : undefined;
    check(
      '/app holds only dist/ (the bundle), no node_modules and no source',
      JSON.stringify(entries) === '["dist"]' &&
        dist.includes('main.js') &&
        distType === 'module' &&
        !existsSync(join(root, 'node_modules')),
      `/app: ${entries.join(', ')}; /app/dist: ${dist.join(', ')}; dist/package.json type ${distType ?? 'missing'}`,
    );
    const size = (path: string) =>
      sh('du', ['-sb', path]).then((out) => `${(Number(out.split('\t')[0]) / 1e6).toFixed(1)} MB`);
    measured.push(
      `/app in the image: ${await size(app)} (dist/main.js ${await size(join(app, 'dist/main.js'))})`,
    );
  } finally {
    await sh('podman', ['image', 'unmount', IMAGE]);
  }
}

async function controlPlane(): Promise<ControlPlaneInfo> {
  const dev = runningDevCluster();
  if (dev) {
    say(`reusing the control plane of \`npm run dev:cluster\` (${dev.version})`);
    return dev;
  }
  const plane = new ControlPlane(await ensureBinaries());
  atExit(() => plane.stop());
  const info = await plane.start();
  say(`kube-apiserver ${info.version} and etcd ${info.etcdVersion} are up`);
  return info;
}

/**
 * The container's memory limit and peak usage files, from its PID 1's cgroup:
 * the v1 memory controller where it is mounted (our machines), else cgroup v2.
 */
function memoryFiles(pid: number): { dir: string; limit: string; peak: string } {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const v1 = lines.find((l) => /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(l));
  if (v1) {
    const dir = join('/sys/fs/cgroup/memory', v1.slice(v1.lastIndexOf(':') + 1));
    return { dir, limit: 'memory.limit_in_bytes', peak: 'memory.max_usage_in_bytes' };
  }
  const v2 = lines.find((l) => l.startsWith('0::'));
  const dir = v2 ? join('/sys/fs/cgroup', v2.slice(3)) : '';
  if (!v2 || !existsSync(join(dir, 'memory.peak'))) {
    throw new Error(
      `/proc/${pid}/cgroup names no v1 memory cgroup and no v2 cgroup with memory.peak`,
    );
  }
  return { dir, limit: 'memory.max', peak: 'memory.peak' };
}

/** The status holds the serial in decimal; X509Certificate gives it in hex. */
const decimalSerial = (hex: string) => BigInt(`0x${hex.replace(/:/g, '')}`).toString();

async function runImage(work: string): Promise<void> {
  const info = await controlPlane();
  // The integration tests' helpers, pointed at this control plane.
  process.env.APIG_TEST_KUBECONFIG = info.kubeconfig;
  process.env.APIG_TEST_KUBECTL = info.kubectl;
  const scenario = await createScenario('image', { accessKeys: [{ ak: AK, sk: SK }] });
  atExit(() => scenario.close());
  const { simulator, namespace } = scenario;

  // What the Deployment mounts: the credentials Secret as files (mode 0440,
  // group 65532 as fsGroup gives it), and a kubeconfig of the container's own
  // (dev:cluster's is 0600 root, unreadable to uid 65532).
  const credentials = join(work, 'credentials');
  mkdirSync(credentials, { recursive: true });
  for (const [name, value] of [
    ['HUAWEICLOUD_SDK_AK', AK],
    ['HUAWEICLOUD_SDK_SK', SK],
  ] as const) {
    writeFileSync(join(credentials, name), value, { mode: 0o440 });
    chownSync(join(credentials, name), 0, UID);
  }
  const kubeconfig = join(work, 'kubeconfig');
  writeFileSync(kubeconfig, readFileSync(info.kubeconfig), { mode: 0o400 });
  chownSync(kubeconfig, UID, UID);

  const memory = deploymentMemoryLimit();
  const grace = gracePeriodSeconds();
  const httpPort = await freePort();
  const name = `apig-cert-operator-image-${process.pid}`;
  const mountDir = '/etc/apig-cert-operator';
  const env: Record<string, string> = {
    KUBECONFIG: `${mountDir}/kubeconfig`,
    APIG_ENDPOINT: simulator.url,
    APIG_SERVICE: 'apig',
    HUAWEICLOUD_SDK_PROJECT_ID: simulator.projectId,
    HUAWEICLOUD_SDK_AK_FILE: `${mountDir}/credentials/HUAWEICLOUD_SDK_AK`,
    HUAWEICLOUD_SDK_SK_FILE: `${mountDir}/credentials/HUAWEICLOUD_SDK_SK`,
    LOG_LEVEL: 'info',
    POD_NAME: name,
    POD_NAMESPACE: namespace,
    LEADER_ELECT: 'true',
    HTTP_PORT: String(httpPort),
  };
  say(`podman run ${IMAGE} (--memory ${memory.text}, uid ${UID}, read-only, no capabilities)`);
  const runStarted = Date.now();
  await sh('podman', [
    ...PODMAN_RUN,
    '--detach',
    '--name',
    name,
    '--read-only',
    '--user',
    `${UID}:${UID}`,
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    '--memory',
    String(memory.bytes),
    '--network',
    'host',
    '-v',
    `${credentials}:${mountDir}/credentials:ro`,
    '-v',
    `${kubeconfig}:${mountDir}/kubeconfig:ro`,
    ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    IMAGE,
  ]);
  let removed = false;
  atExit(async () => {
    if (!removed) await sh('podman', ['rm', '--force', name]).catch(() => undefined);
  });
  const logs = () => sh('podman', ['logs', name]).catch((e: Error) => e.message);
  const pid = Number((await sh('podman', ['inspect', '--format', '{{.State.Pid}}', name])).trim());
  const cgroup = memoryFiles(pid);
  const limit = Number(readFileSync(join(cgroup.dir, cgroup.limit), 'utf8'));
  check(
    'the container runs under the Deployment memory limit',
    limit === memory.bytes,
    `${cgroup.dir}/${cgroup.limit} = ${limit}, ${memory.text} = ${memory.bytes}`,
  );
  const status = (await sh('cat', [`/proc/${pid}/status`])).split('\n');
  const field = (key: string) =>
    status
      .find((l) => l.startsWith(`${key}:`))
      ?.split(/\s+/)
      .slice(1)
      .join(' ');
  check(
    'PID 1 is uid 65532 with no capabilities',
    field('Uid')?.split(' ')[0] === String(UID) && /^0+$/.test(field('CapEff') ?? 'x'),
    `Uid ${field('Uid')}, CapEff ${field('CapEff')}, CapBnd ${field('CapBnd')}`,
  );

  try {
    // A new key and serial each time, as cert-manager's rotationPolicy Always gives.
    const issue = () => issueCertificate({ commonName: 'shop.example.com', key: { kind: 'EC' } });
    const secretSerial = async () => {
      const secret = await scenario.core.readNamespacedSecret({ name: 'shop-tls', namespace });
      return decimalSerial(
        new X509Certificate(Buffer.from(secret.data!['tls.crt']!, 'base64')).serialNumber,
      );
    };
    const statusSerial = async (): Promise<string | undefined> => {
      const resource = await scenario.getCertificate('shop');
      const ready = resource.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      return ready ? resource.status?.serialNumber : undefined;
    };

    await scenario.writeTlsSecret('shop-tls', await issue());
    await scenario.createCertificate('shop', { certificateId: CERTIFICATE_ID });
    const first = await eventually('the first sync (Ready=True)', statusSerial, 90_000).catch(
      async (error: Error) => {
        throw new Error(`${error.message}\ncontainer log:\n${await logs()}`);
      },
    );
    const firstSerial = await secretSerial();
    check(
      'first sync',
      first === firstSerial && simulator.successfulPuts(CERTIFICATE_ID).length === 1,
      `status serial ${first}, Secret serial ${firstSerial}, ${simulator.successfulPuts(CERTIFICATE_ID).length} PUT, ${seconds(Date.now() - runStarted)} after podman run`,
    );

    const rotationStarted = Date.now();
    await scenario.writeTlsSecret('shop-tls', await issue());
    const rotatedSecret = await secretSerial();
    const rotated = await eventually(
      'the rotated serial in status',
      async () => {
        const serial = await statusSerial();
        return serial === rotatedSecret ? serial : undefined;
      },
      60_000,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}\ncontainer log:\n${await logs()}`);
    });
    const stored = simulator.certificate(CERTIFICATE_ID)?.serialNumber;
    check(
      'rotation',
      stored === rotatedSecret && simulator.successfulPuts(CERTIFICATE_ID).length === 2,
      `status serial ${rotated} = new Secret's ${rotatedSecret} = APIG's ${stored}, ${simulator.successfulPuts(CERTIFICATE_ID).length} PUTs, ${Date.now() - rotationStarted} ms from the Secret write`,
    );

    const metrics = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
    const text = await metrics.text();
    const samples = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
    const rss = /^process_resident_memory_bytes (\d+)/m.exec(text)?.[1];
    if (rss)
      measured.push(
        `resident memory after the rotation: ${(Number(rss) / 2 ** 20).toFixed(1)} MiB`,
      );
    check(
      '/metrics answers',
      metrics.status === 200 && samples > 0 && /^process_resident_memory_bytes /m.test(text),
      `HTTP ${metrics.status}, ${samples} samples`,
    );
  } finally {
    const peak = Number(readFileSync(join(cgroup.dir, cgroup.peak), 'utf8'));
    measured.push(
      `peak memory charged to the container's cgroup (${cgroup.peak}; pages of the node binary already cached by the build are charged there, not here): ${(peak / 2 ** 20).toFixed(1)} MiB of ${memory.text}`,
    );
    const stopStarted = Date.now();
    await sh('podman', ['stop', '--time', String(grace), name]);
    const stopMs = Date.now() - stopStarted;
    measured.push(`podman stop (SIGTERM) to exit: ${seconds(stopMs)}`);
    const exit = (await sh('podman', ['inspect', '--format', '{{.State.ExitCode}}', name])).trim();
    const log = await logs();
    check(
      'SIGTERM: exit 0 within the grace period',
      exit === '0' && stopMs < grace * 1000,
      `exit code ${exit} after ${stopMs} ms (grace ${grace} s)`,
    );
    const errors = log.split('\n').filter((l) => /"level":(50|60)/.test(l));
    check(
      'no error in the container log',
      errors.length === 0,
      errors.length === 0 ? `${log.split('\n').length} lines` : errors.slice(0, 5).join('\n'),
    );
    await sh('podman', ['rm', name]);
    removed = true;
  }
}

async function main(): Promise<void> {
  requireTools();
  const work = mkdtempSync(join(tmpdir(), 'apig-cert-operator-image-'));
  atExit(() => rmSync(work, { recursive: true, force: true }));
  const bundle = caBundle();

  await timed('base image (test/image/base-image.sh)', () =>
    sh('bash', ['test/image/base-image.sh', BASE]),
  );
  await timed('image build (buildah bud)', () => buildImage(work, bundle));

  const image = await inspectImage(IMAGE);
  const base = await inspectImage(BASE);
  measured.push(
    `image size: ${(image.Size / 1e6).toFixed(1)} MB, of it the base ${(base.Size / 1e6).toFixed(1)} MB and ours ${((image.Size - base.Size) / 1e6).toFixed(1)} MB`,
  );
  check('runs as 65532', image.Config.User === '65532:65532', `User ${image.Config.User}`);
  check(
    'entry point node dist/main.js',
    JSON.stringify(image.Config.Entrypoint) === '["node","dist/main.js"]' &&
      image.Config.WorkingDir === '/app' &&
      (image.Config.Cmd ?? []).length === 0,
    `Entrypoint ${JSON.stringify(image.Config.Entrypoint)}, Cmd ${JSON.stringify(image.Config.Cmd ?? null)}, WorkingDir ${image.Config.WorkingDir}`,
  );
  await checkLayersForBundle(work, bundle);
  await checkAppFiles();
  await runImage(work);
}

main().then(
  () => {
    process.stdout.write(`\nimage test measurements:\n${measured.map((m) => `  ${m}\n`).join('')}`);
    const failed = results.filter((r) => !r.ok);
    process.stdout.write(
      `image test: ${results.length - failed.length} checks passed, ${failed.length} failed${failed.length ? ` (${failed.map((f) => f.name).join('; ')})` : ''}\n`,
    );
    return exitAfterCleanup(failed.length === 0 ? 0 : 1);
  },
  (error: unknown) => {
    process.stderr.write(
      `image test failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return exitAfterCleanup(1);
  },
);
