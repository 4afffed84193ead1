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
import type { IssuedCertificate } from '../support/certs.ts';
import { decimalSerial } from './apig.ts';
import { BenchOperator, type OperatorSettings } from './bench-operator.ts';
import { createSecret } from './cluster.ts';
import type { CpuUse } from './cpu.ts';
import { API_CONCURRENCY, Fleet, type FleetMember } from './fleet.ts';
import type { BenchOptions } from './options.ts';
import { forEachLimited } from './pool.ts';
import { SETTLE_MS, type ScenarioContext } from './scenarios.ts';

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

interface Tenant {
  /** Its namespace, Secrets and ApigCertificates, seeded at its own endpoint. */
  fleet: Fleet;
  provider: string;
  simulator: ApigSimulator;
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
  const projectId = hex(16);
  const ak = `AKBENCH${hex(8).toUpperCase()}`;
  const sk = `SK${hex(16)}`;
  const puts: Tenant['puts'] = [];
  const simulator: ApigSimulator = await startApigSimulator({
    projects: [projectId],
    accessKeys: [{ ak, sk }],
    rateLimitPerSecond: PROVIDER_RATE,
    onRequest: (entry) => {
      if (entry.method !== 'PUT' || entry.certificateId === undefined) return;
      const { certificateId } = entry;
      puts.push({
        certificateId,
        at: Date.now(),
        status: entry.status,
        // Called synchronously after the store took the PUT: what it holds now.
        serial: entry.applied ? simulator.certificate(certificateId)?.serialNumber : undefined,
      });
    },
  });
  const { fleet } = await Fleet.create(
    kube,
    {
      seed: (certificates) =>
        certificates.forEach((c) => simulator.seedCertificate({ ...c, projectId })),
    },
    size,
    { namespacePrefix: `bench-prov-${index}`, providerRef: { name: PROVIDER_NAME } },
  );
  const { namespace } = fleet;
  await createSecret(kube, namespace, {
    name: CREDENTIALS,
    type: 'Opaque',
    data: {
      HUAWEICLOUD_SDK_AK: Buffer.from(ak).toString('base64'),
      HUAWEICLOUD_SDK_SK: Buffer.from(sk).toString('base64'),
    },
  });
  await createProvider(kube, namespace, {
    endpoint: simulator.url,
    projectId,
    rateLimit: { requestsPerSecond: PROVIDER_RATE, burst: 1 },
    auth: { accessKey: { secretRef: { name: CREDENTIALS } } },
  });
  return {
    fleet,
    provider: `${namespace}/${PROVIDER_NAME}`,
    simulator,
    ids: new Set(fleet.members.map((m) => m.certificateId)),
    puts,
  };
}

/** A new certificate for every member of every tenant, by work-queue key. */
async function issueAll(tenants: readonly Tenant[]): Promise<Map<string, IssuedCertificate>> {
  const issued = new Map<string, IssuedCertificate>();
  for (const { fleet } of tenants) {
    const certificates = await fleet.issue(fleet.members);
    for (const m of fleet.members) issued.set(m.key, certificates[m.index]!);
  }
  return issued;
}

/** Round-robin over the tenants, as renewals of many teams would arrive. */
function interleaved(tenants: readonly Tenant[]): { fleet: Fleet; member: FleetMember }[] {
  const size = Math.max(...tenants.map((t) => t.fleet.size));
  const order: { fleet: Fleet; member: FleetMember }[] = [];
  for (let i = 0; i < size; i++) {
    for (const { fleet } of tenants) {
      const member = fleet.members[i];
      if (member) order.push({ fleet, member });
    }
  }
  return order;
}

/** Every Secret rewritten with its new certificate, as cert-manager renews them. */
async function rotate(
  tenants: readonly Tenant[],
  certificates: ReadonlyMap<string, IssuedCertificate>,
): Promise<void> {
  await forEachLimited(interleaved(tenants), API_CONCURRENCY, ({ fleet, member }) =>
    fleet.writeSecret(member, certificates.get(member.key)!),
  );
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
      for (const m of t.fleet.members) {
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
      resources: t.fleet.size,
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
    const settings: OperatorSettings = {
      main: context.main,
      // The environment configuration stays set: a PUT there is a resource sent to the wrong place.
      apig: context.apig,
      kubeconfig: context.kubeconfig,
      namespace: tenants[0]!.fleet.namespace,
      rateLimit: options.unlimitedRate,
      concurrency: options.concurrency,
      env: { ...env, WATCH_NAMESPACES: tenants.map((t) => t.fleet.namespace).join(',') },
    };
    phase = 'first sync';
    progress(`providers: first sync of ${n} resources`);
    operator = BenchOperator.start(settings);
    const ready = await operator.waitForReconciled({
      from: 0,
      resources: new Set(tenants.flatMap((t) => [...t.fleet.keys])),
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
    await rotate(tenants, next);
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
      await t.fleet.remove();
      await context.kube.json({
        method: 'DELETE',
        path: collectionPath(APIG_PROVIDER_RESOURCE, t.fleet.namespace),
      });
    }
  }
}
