// Issue 11's providers scenario: P ApigProviders, each in a namespace of its
// own and each its own APIG endpoint (a simulator with its project, AK/SK and
// rate limit), with M ApigCertificates each; one operator watching all of
// them. First sync, then every Secret rewritten at once: each resource must
// reach its own provider exactly once per content, none any other endpoint.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { APIG_PROVIDER_KIND, APIG_PROVIDER_RESOURCE } from '../../src/api/providers.ts';
import { API_VERSION } from '../../src/api/v1alpha1.ts';
import { isKubeApiError, type KubeClient } from '../../src/kube/kube-client.ts';
import { collectionPath } from '../../src/kube/resources.ts';
import { startApigSimulator, type ApigSimulator } from '../support/apig-simulator/index.ts';
import {
  issueCertificate,
  sharedKeyPair,
  tlsSecretData,
  type IssuedCertificate,
} from '../support/certs.ts';
import { decimalSerial } from './apig.ts';
import { BenchOperator, type OperatorSettings } from './bench-operator.ts';
import {
  createApigCertificate,
  createNamespace,
  createSecret,
  emptyNamespace,
  replaceSecret,
} from './cluster.ts';
import type { CpuUse } from './cpu.ts';
import { API_CONCURRENCY } from './fleet.ts';
import type { BenchOptions } from './options.ts';
import { forEachLimited } from './pool.ts';
import { SETTLE_MS, type ScenarioContext } from './scenarios.ts';
import type { Verdict } from './targets.ts';

/** Each provider's rate limit, in its spec and at its simulated APIG (burst 1: APIG counts a sliding second). */
export const PROVIDER_RATE = 10;
/** Mass rotation: total time / (N / (P × PROVIDER_RATE)). */
export const PROVIDERS_ROTATION_RATIO = 1.1;

export interface ProviderCounts {
  /** `namespace/name` of the ApigProvider. */
  provider: string;
  resources: number;
  /** Stored PUTs of this provider's resources at its endpoint. */
  puts: number;
  /** PUT attempts APIG answered 429. */
  throttled: number;
  /** Phase start to this provider's last stored PUT: equal across providers unless one starves the others. */
  lastStoredMs: number | undefined;
}

export interface ProvidersResult {
  providers: number;
  resourcesPerProvider: number;
  /** Each provider's requests per second (spec.rateLimit and its APIG's limit). */
  ratePerProvider: number;
  /** Process start to every resource Ready. */
  firstSyncMs: number;
  /** First Secret write to the last new certificate stored. */
  rotationMs: number;
  /** N / (P × rate). */
  rotationIdealMs: number;
  /** Per provider: first sync and rotation. */
  firstSync: ProviderCounts[];
  rotation: ProviderCounts[];
  /** PUTs that reached an endpoint other than the resource's own provider's (either phase). */
  crossProviderPuts: number;
  /** CPU used from the first Secret write to the last new certificate stored, by process. */
  rotationCpu: CpuUse;
  /** The operator's highest RSS (VmHWM) after the rotation. */
  peakRssBytes: number;
}

interface Member {
  name: string;
  secretName: string;
  certificateId: string;
  key: string;
}

interface Tenant {
  namespace: string;
  provider: string;
  simulator: ApigSimulator;
  members: Member[];
  ids: ReadonlySet<string>;
  /** Every PUT the tenant's endpoint answered: certificate, time, status, serial stored. */
  puts: { certificateId: string; at: number; status: number; serial: string | undefined }[];
}

const PROVIDER_NAME = 'apig';
const CREDENTIALS = 'apig-keys';
const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** The ApigProvider CRD is applied with the others; its first create may precede its Established. */
async function createProvider(kube: KubeClient, namespace: string, spec: object): Promise<void> {
  const body = {
    apiVersion: API_VERSION,
    kind: APIG_PROVIDER_KIND,
    metadata: { name: PROVIDER_NAME, namespace },
    spec,
  };
  for (let attempt = 0; ; attempt++) {
    try {
      await kube.json({
        method: 'POST',
        path: collectionPath(APIG_PROVIDER_RESOURCE, namespace),
        body,
      });
      return;
    } catch (error) {
      if (!isKubeApiError(error, 404) || attempt >= 30) throw error;
      await sleep(1_000);
    }
  }
}

async function createTenant(kube: KubeClient, index: number, size: number): Promise<Tenant> {
  const namespace = `bench-prov-${index}-${hex(3)}`;
  const projectId = hex(16);
  const ak = `AKBENCH${hex(8).toUpperCase()}`;
  const sk = `SK${hex(16)}`;
  const tenant: Tenant = {
    namespace,
    provider: `${namespace}/${PROVIDER_NAME}`,
    simulator: await startApigSimulator({
      projects: [projectId],
      accessKeys: [{ ak, sk }],
      rateLimitPerSecond: PROVIDER_RATE,
      onRequest: (entry) => {
        if (entry.method !== 'PUT' || entry.certificateId === undefined) return;
        const { certificateId } = entry;
        tenant.puts.push({
          certificateId,
          at: Date.now(),
          status: entry.status,
          // Called synchronously after the store took the PUT: what it holds now.
          serial: entry.applied
            ? tenant.simulator.certificate(certificateId)?.serialNumber
            : undefined,
        });
      },
    }),
    members: Array.from({ length: size }, (_, i) => ({
      name: `app-${i}`,
      secretName: `app-${i}-tls`,
      certificateId: `${namespace}-${i}`,
      key: `${namespace}/app-${i}`,
    })),
    ids: new Set(),
    puts: [],
  };
  tenant.ids = new Set(tenant.members.map((m) => m.certificateId));
  await createNamespace(kube, namespace);
  await createSecret(kube, namespace, {
    name: CREDENTIALS,
    type: 'Opaque',
    data: {
      HUAWEICLOUD_SDK_AK: Buffer.from(ak).toString('base64'),
      HUAWEICLOUD_SDK_SK: Buffer.from(sk).toString('base64'),
    },
  });
  await createProvider(kube, namespace, {
    endpoint: tenant.simulator.url,
    projectId,
    rateLimit: { requestsPerSecond: PROVIDER_RATE, burst: 1 },
    auth: { accessKey: { secretRef: { name: CREDENTIALS } } },
  });
  for (const m of tenant.members) {
    tenant.simulator.seedCertificate({ id: m.certificateId, name: apigName(m), projectId });
  }
  return tenant;
}

/** APIG's name rule: 4-50 characters, a letter first, then letters, digits and '_'. */
function apigName(member: Member): string {
  return `bench_${member.name.replace('-', '_')}`;
}

async function issueAll(tenants: readonly Tenant[]): Promise<Map<string, IssuedCertificate>> {
  const keyPair = await sharedKeyPair({ kind: 'EC' });
  const issued = new Map<string, IssuedCertificate>();
  for (const t of tenants) {
    for (const m of t.members) {
      const commonName = `${m.name}.${t.namespace}.bench.example`;
      issued.set(m.key, await issueCertificate({ commonName, key: { kind: 'EC' }, keyPair }));
    }
  }
  return issued;
}

/** Round-robin over the tenants, as renewals of many teams would arrive. */
function interleaved(tenants: readonly Tenant[]): { tenant: Tenant; member: Member }[] {
  const size = Math.max(...tenants.map((t) => t.members.length));
  const order: { tenant: Tenant; member: Member }[] = [];
  for (let i = 0; i < size; i++) {
    for (const tenant of tenants) {
      const member = tenant.members[i];
      if (member) order.push({ tenant, member });
    }
  }
  return order;
}

async function writeSecrets(
  kube: KubeClient,
  tenants: readonly Tenant[],
  certificates: ReadonlyMap<string, IssuedCertificate>,
  create: boolean,
): Promise<void> {
  await forEachLimited(interleaved(tenants), API_CONCURRENCY, async ({ tenant, member }) => {
    const body = {
      name: member.secretName,
      type: 'kubernetes.io/tls',
      data: tlsSecretData(certificates.get(member.key)!),
    };
    if (!create) return replaceSecret(kube, tenant.namespace, body);
    await createSecret(kube, tenant.namespace, body);
    await createApigCertificate(kube, tenant.namespace, member.name, {
      certificateId: member.certificateId,
      name: apigName(member),
      secretRef: { name: member.secretName },
      providerRef: { name: PROVIDER_NAME },
    });
  });
}

/** Polls until every tenant's endpoint stored its members' expected serials; the last store time. */
async function waitForStored(
  tenants: readonly Tenant[],
  certificates: ReadonlyMap<string, IssuedCertificate>,
  since: number,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let stored = 0;
    let total = 0;
    let last = since;
    for (const t of tenants) {
      for (const m of t.members) {
        total++;
        const serial = decimalSerial(certificates.get(m.key)!.serialNumber);
        const record = t.puts.find(
          (p) => p.at >= since && p.certificateId === m.certificateId && p.serial === serial,
        );
        if (record) {
          stored++;
          last = Math.max(last, record.at);
        }
      }
    }
    if (stored === total) return last;
    if (Date.now() > deadline) {
      throw new Error(`the providers' APIG stored ${stored} of ${total} new certificates`);
    }
    await sleep(100);
  }
}

function counts(tenants: readonly Tenant[], from: number, to: number): ProviderCounts[] {
  return tenants.map((t) => {
    const window = t.puts.filter((p) => p.at >= from && p.at < to && t.ids.has(p.certificateId));
    const stored = window.filter((p) => p.serial !== undefined);
    return {
      provider: t.provider,
      resources: t.members.length,
      puts: stored.length,
      throttled: window.filter((p) => p.status === 429).length,
      lastStoredMs: stored.length === 0 ? undefined : Math.max(...stored.map((p) => p.at)) - from,
    };
  });
}

/** The scenario; a failure goes to `errors` and the result is undefined. */
export async function providersScenario(
  options: BenchOptions,
  context: ScenarioContext & { kubeconfig: string; kube: KubeClient; main: string },
  /** The operator's environment beyond the APIG and cluster settings (the image's NODE_OPTIONS…). */
  env: Record<string, string>,
  progress: (text: string) => void,
  errors: { scenario: string; message: string }[],
): Promise<ProvidersResult | undefined> {
  const { providerCount: p, resourcesPerProvider: m } = options;
  const n = p * m;
  const tenants: Tenant[] = [];
  let operator: BenchOperator | undefined;
  let phase = 'set-up';
  try {
    progress(`providers: ${p} ApigProviders (own APIG endpoint each, ${PROVIDER_RATE}/s) × ${m}`);
    for (let i = 0; i < p; i++) tenants.push(await createTenant(context.kube, i, m));
    const first = await issueAll(tenants);
    await writeSecrets(context.kube, tenants, first, true);
    const settings: OperatorSettings = {
      main: context.main,
      // The environment configuration stays set: a PUT there is a resource sent to the wrong place.
      apig: context.apig,
      kubeconfig: context.kubeconfig,
      namespace: tenants[0]!.namespace,
      rateLimit: options.unlimitedRate,
      concurrency: options.concurrency,
      env: { ...env, WATCH_NAMESPACES: tenants.map((t) => t.namespace).join(',') },
    };
    phase = 'first sync';
    progress(`providers: first sync of ${n} resources`);
    operator = BenchOperator.start(settings);
    const ready = await operator.waitForReconciled({
      from: 0,
      resources: new Set(tenants.flatMap((t) => t.members.map((x) => x.key))),
      accept: (result) => result === 'synced',
      timeoutMs: 120_000 + n * 200,
    });
    const firstSyncMs = Math.max(...ready.values()) - operator.startedAt;
    await sleep(SETTLE_MS);

    phase = 'mass rotation';
    progress(`providers: mass rotation of ${n} Secrets`);
    const next = await issueAll(tenants);
    const rotationIdealMs = (n / (p * PROVIDER_RATE)) * 1000;
    const cpu = await context.meter.start(operator.pid);
    const firstWrite = Date.now();
    await writeSecrets(context.kube, tenants, next, false);
    const lastPut = await waitForStored(tenants, next, firstWrite, 120_000 + 5 * rotationIdealMs);
    const rotationCpu = await cpu(operator.pid);
    const peakRssBytes = await operator.peakRssBytes();
    await sleep(SETTLE_MS);
    const end = Date.now();
    const crossProviderPuts =
      context.apig.putsSince(operator.startedAt).length +
      tenants.reduce((sum, t) => sum + t.puts.filter((x) => !t.ids.has(x.certificateId)).length, 0);
    return {
      providers: p,
      resourcesPerProvider: m,
      ratePerProvider: PROVIDER_RATE,
      firstSyncMs,
      rotationMs: lastPut - firstWrite,
      rotationIdealMs,
      firstSync: counts(tenants, operator.startedAt, firstWrite),
      rotation: counts(tenants, firstWrite, end),
      crossProviderPuts,
      rotationCpu,
      peakRssBytes,
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    errors.push({ scenario: `providers ${phase}`, message });
    progress(`providers: ${phase} failed: ${message}`);
    return undefined;
  } finally {
    await operator?.stop().catch((error: unknown) => {
      errors.push({ scenario: 'providers stop', message: String(error) });
    });
    for (const t of tenants) {
      await t.simulator.close();
      await emptyNamespace(context.kube, t.namespace);
      await context.kube.json({
        method: 'DELETE',
        path: collectionPath(APIG_PROVIDER_RESOURCE, t.namespace),
      });
    }
  }
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const sum = (rows: readonly ProviderCounts[], pick: (r: ProviderCounts) => number): number =>
  rows.reduce((total, row) => total + pick(row), 0);

/** PUTs beyond one per resource and content, both phases, every provider (for the overall row). */
export function providersExtraPuts(result: ProvidersResult): number {
  const off = (rows: readonly ProviderCounts[]) => sum(rows, (r) => Math.abs(r.puts - r.resources));
  return off(result.firstSync) + off(result.rotation) + result.crossProviderPuts;
}

/** PUTs, the spread per provider, when the providers finished, 429s: one phase. */
function phaseText(rows: readonly ProviderCounts[], n: number): string {
  const puts = rows.map((r) => r.puts);
  const done = rows.map((r) => r.lastStoredMs ?? Number.NaN);
  return `PUTs ${sum(rows, (r) => r.puts)}/${n} (${Math.min(...puts)}-${Math.max(...puts)} per provider; providers done ${seconds(Math.min(...done))}-${seconds(Math.max(...done))}); 429s ${sum(rows, (r) => r.throttled)}`;
}

/** Where the machine's CPU went during the rotation (2 cores shared with the API server, etcd and APIG). */
function cpuText(cpu: CpuUse): string {
  const s = (ms: number) => (ms / 1000).toFixed(1);
  return `CPU s: operator ${s(cpu.operatorMs)}, apiserver ${s(cpu.apiserverMs)}, etcd ${s(cpu.etcdMs)}, bench+APIG ${s(cpu.benchMs)}, others ${s(cpu.othersMs)} of ${s(cpu.capacityMs)}`;
}

export function providersVerdicts(result: ProvidersResult | undefined): Verdict[] {
  if (result === undefined) return [];
  const { providers: p, resourcesPerProvider: m, rotationIdealMs: idealMs } = result;
  const n = p * m;
  const scenario = `Providers, ${p} × ${m} (${result.ratePerProvider}/s each)`;
  const exact = (rows: readonly ProviderCounts[]) => rows.every((r) => r.puts === r.resources);
  const ratio = result.rotationMs / idealMs;
  const throttled =
    sum(result.firstSync, (r) => r.throttled) + sum(result.rotation, (r) => r.throttled);
  return [
    {
      scenario: `${scenario}: first sync`,
      measured: `${seconds(result.firstSyncMs)} to all Ready = ${(result.firstSyncMs / idealMs).toFixed(2)} × N/R_total; ${phaseText(result.firstSync, n)}`,
      target: 'PUTs = resources, each to its own provider (time: info)',
      outcome: exact(result.firstSync) && result.crossProviderPuts === 0 ? 'info' : 'MISS',
    },
    {
      scenario: `${scenario}: mass rotation`,
      measured: `${seconds(result.rotationMs)} = ${ratio.toFixed(2)} × N/R_total (${seconds(idealMs)}); ${phaseText(result.rotation, n)}; peak RSS ${(result.peakRssBytes / 1024 / 1024).toFixed(1)} MiB; ${cpuText(result.rotationCpu)}`,
      target: `≤ ${PROVIDERS_ROTATION_RATIO} × N/R_total; PUTs = resources per provider`,
      outcome: ratio <= PROVIDERS_ROTATION_RATIO && exact(result.rotation) ? 'PASS' : 'MISS',
    },
    {
      scenario: `${scenario}: isolation`,
      measured: `${result.crossProviderPuts} PUTs to another endpoint; 429s ${throttled} in all`,
      target: '0 PUTs to another endpoint',
      outcome: result.crossProviderPuts === 0 ? 'PASS' : 'MISS',
    },
  ];
}
