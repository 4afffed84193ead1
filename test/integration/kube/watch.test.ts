// The supervised list+watch against a real kube-apiserver: events for Secrets,
// ConfigMaps and ApigCertificates, WATCH_NAMESPACES, metadata-only memory,
// and recovery from the faults client-node's informer is known for (cut
// connections, 410, silent stalls, HTTP errors) injected by a proxy in front of
// the API server.
import {
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { KubeClient } from '../../../src/kube/kube-client.ts';
import type { KubeObject } from '../../../src/kube/object-store.ts';
import {
  API_VERSION,
  APIG_CERTIFICATE_KIND,
  APIG_CERTIFICATE_RESOURCE,
} from '../../../src/api/v1alpha1.ts';
import { CONFIG_MAPS, SECRETS } from '../../../src/kube/resources.ts';
import { ListWatch, type ListWatchOptions } from '../../../src/kube/list-watch.ts';
import {
  METADATA_LIST_ACCEPT,
  METADATA_WATCH_ACCEPT,
  type MetadataStub,
  type RawObject,
} from '../../../src/kube/metadata.ts';
import { ResourceWatch } from '../../../src/kube/resource-watch.ts';
import { createTestNamespace, installCrds, testKubeConfig } from '../../support/kube.ts';
import { FaultProxy } from './fault-proxy.ts';
import { eventuallyPasses } from '../../support/eventually.ts';
import { EventLog } from './helpers.ts';

const core = testKubeConfig().makeApiClient(CoreV1Api);
const custom = testKubeConfig().makeApiClient(CustomObjectsApi);
const client = new KubeClient(testKubeConfig());
const cleanups: (() => Promise<void>)[] = [];

beforeAll(() => {
  installCrds();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await client.close();
});

async function proxy(): Promise<FaultProxy> {
  const p = await FaultProxy.start(testKubeConfig());
  const proxyClient = new KubeClient(p.kubeConfig());
  cleanups.push(async () => {
    await proxyClient.close();
    await p.close();
  });
  proxied.set(p, proxyClient);
  return p;
}
const proxied = new Map<FaultProxy, KubeClient>();

function started<T extends KubeObject>(watch: ListWatch<T> | ResourceWatch<T>): typeof watch {
  watch.start();
  cleanups.push(() => watch.stop());
  return watch;
}

function secretWatch(
  namespace: string,
  log: EventLog<MetadataStub>,
  extra: Partial<ListWatchOptions<MetadataStub>> = {},
): ListWatch<MetadataStub> {
  return started(
    new ListWatch<MetadataStub>({
      client,
      resource: SECRETS,
      namespace,
      metadataOnly: true,
      onEvent: log.handler,
      ...extra,
    }),
  ) as ListWatch<MetadataStub>;
}

const tlsData = (n: number) => ({
  'tls.crt': Buffer.from(`certificate ${n}`).toString('base64'),
  'tls.key': Buffer.from(`private key ${n}`).toString('base64'),
});

async function createSecret(namespace: string, name: string, n = 1): Promise<void> {
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name }, type: 'kubernetes.io/tls', data: tlsData(n) },
  });
}

async function replaceSecretData(namespace: string, name: string, n: number): Promise<void> {
  await core.patchNamespacedSecret(
    { namespace, name, body: { data: tlsData(n) } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

async function createConfigMap(namespace: string, name: string): Promise<void> {
  await core.createNamespacedConfigMap({
    namespace,
    body: { metadata: { name }, data: { 'ca.crt': 'x' } },
  });
}

describe('ListWatch: events from the API server', () => {
  it('reports add, update and delete of Secrets, keeping metadata only', async () => {
    const ns = await createTestNamespace('watch-secrets');
    const log = new EventLog<MetadataStub>();
    const watch = secretWatch(ns, log);
    await watch.synced();

    await createSecret(ns, 'shop-tls', 1);
    await eventuallyPasses(() => expect(log.of(`${ns}/shop-tls`)).toEqual([`add ${ns}/shop-tls`]));
    await replaceSecretData(ns, 'shop-tls', 2);
    await eventuallyPasses(() =>
      expect(log.of(`${ns}/shop-tls`)).toEqual([`add ${ns}/shop-tls`, `update ${ns}/shop-tls`]),
    );
    expect(watch.get(`${ns}/shop-tls`)?.metadata.resourceVersion).toMatch(/^\d+$/);
    await core.deleteNamespacedSecret({ namespace: ns, name: 'shop-tls' });
    await eventuallyPasses(() =>
      expect(log.of(`${ns}/shop-tls`)).toEqual([
        `add ${ns}/shop-tls`,
        `update ${ns}/shop-tls`,
        `delete ${ns}/shop-tls`,
      ]),
    );
    expect(watch.get(`${ns}/shop-tls`)).toBeUndefined();
    for (const event of log.events) {
      expect(Object.keys(event.object)).toEqual(['metadata']);
      expect(Object.keys(event.object.metadata).sort()).toEqual([
        'name',
        'namespace',
        'resourceVersion',
        'uid',
      ]);
    }
  });

  it('reports ConfigMaps', async () => {
    const ns = await createTestNamespace('watch-cm');
    const log = new EventLog<MetadataStub>();
    const watch = started(
      new ListWatch<MetadataStub>({
        client,
        resource: CONFIG_MAPS,
        namespace: ns,
        metadataOnly: true,
        onEvent: log.handler,
      }),
    );
    await watch.synced();
    await createConfigMap(ns, 'root-ca');
    await core.patchNamespacedConfigMap(
      { namespace: ns, name: 'root-ca', body: { data: { 'ca.crt': 'y' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await core.deleteNamespacedConfigMap({ namespace: ns, name: 'root-ca' });
    await eventuallyPasses(() =>
      expect(log.of(`${ns}/root-ca`)).toEqual([
        `add ${ns}/root-ca`,
        `update ${ns}/root-ca`,
        `delete ${ns}/root-ca`,
      ]),
    );
  });

  it('reports ApigCertificates with their spec and without managedFields', async () => {
    const ns = await createTestNamespace('watch-apig');
    type Apig = KubeObject & { spec?: { name?: string }; metadata: Record<string, unknown> };
    const log = new EventLog<Apig>();
    const watch = started(
      new ListWatch<Apig>({
        client,
        resource: APIG_CERTIFICATE_RESOURCE,
        namespace: ns,
        onEvent: log.handler,
      }),
    );
    await watch.synced();
    const target = {
      ...APIG_CERTIFICATE_RESOURCE,
      namespace: ns,
    };
    await custom.createNamespacedCustomObject({
      ...target,
      body: {
        apiVersion: API_VERSION,
        kind: APIG_CERTIFICATE_KIND,
        metadata: { name: 'shop' },
        spec: { certificateId: 'c0ffee-01', name: 'shop_cert', secretRef: { name: 'shop-tls' } },
      },
    });
    await custom.patchNamespacedCustomObject(
      { ...target, name: 'shop', body: { spec: { name: 'shop_cert_v2' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await eventuallyPasses(() =>
      expect(log.of(`${ns}/shop`)).toEqual([`add ${ns}/shop`, `update ${ns}/shop`]),
    );
    const stored = watch.get(`${ns}/shop`);
    expect(stored?.spec?.name).toBe('shop_cert_v2');
    expect(stored?.metadata).not.toHaveProperty('managedFields');
    await custom.deleteNamespacedCustomObject({ ...target, name: 'shop' });
    await eventuallyPasses(() => expect(log.of(`${ns}/shop`)).toHaveLength(3));
    expect(log.of(`${ns}/shop`)[2]).toBe(`delete ${ns}/shop`);
  });

  it('lists existing objects page by page as adds, and is synced only after that', async () => {
    const ns = await createTestNamespace('watch-pages');
    for (const name of ['a', 'b', 'c', 'd', 'e']) await createSecret(ns, name);
    const p = await proxy();
    const log = new EventLog<MetadataStub>();
    const watch = new ListWatch<MetadataStub>({
      client: proxied.get(p)!,
      resource: SECRETS,
      namespace: ns,
      metadataOnly: true,
      pageSize: 2,
      onEvent: log.handler,
    });
    expect(watch.hasSynced()).toBe(false);
    started(watch);
    await watch.synced();
    expect(watch.hasSynced()).toBe(true);
    expect(log.lines().sort()).toEqual(['a', 'b', 'c', 'd', 'e'].map((n) => `add ${ns}/${n}`));
    const lists = p.listRequests();
    expect(lists.map((r) => r.query.get('limit'))).toEqual(['2', '2', '2']);
    expect(lists[0]!.query.has('continue')).toBe(false);
    expect(lists[1]!.query.get('continue')).toBeTruthy();
    const watchRequest = await eventuallyPasses(() => {
      const w = p.watchRequests()[0];
      if (!w) throw new Error('no watch yet');
      return w;
    });
    expect(watchRequest.query.get('allowWatchBookmarks')).toBe('true');
    expect(watchRequest.query.get('resourceVersion')).toMatch(/^\d+$/);
  });

  it('a handler that throws does not stop the watch', async () => {
    const ns = await createTestNamespace('watch-throw');
    const log = new EventLog<MetadataStub>();
    let calls = 0;
    const watch = secretWatch(ns, log, {
      onEvent: (event) => {
        calls++;
        if (calls === 1) throw new Error('handler bug');
        log.handler(event);
      },
    });
    await watch.synced();
    await createSecret(ns, 'first');
    await createSecret(ns, 'second');
    await eventuallyPasses(() => expect(log.lines()).toEqual([`add ${ns}/second`]));
  });

  it('stop() closes the open watch at once and makes no further requests', async () => {
    const ns = await createTestNamespace('watch-stop');
    const p = await proxy();
    const watch = new ListWatch<MetadataStub>({
      client: proxied.get(p)!,
      resource: SECRETS,
      namespace: ns,
      metadataOnly: true,
      onEvent: () => {},
    });
    watch.start();
    await watch.synced();
    await eventuallyPasses(() => expect(p.watchRequests()).toHaveLength(1));
    const before = Date.now();
    await watch.stop();
    expect(Date.now() - before).toBeLessThan(2_000);
    const requests = p.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(p.requests).toHaveLength(requests);
  });
});

describe('ResourceWatch: WATCH_NAMESPACES', () => {
  it('watches only the listed namespaces, or all of them when the list is empty', async () => {
    const [ns1, ns2, ns3] = await Promise.all([
      createTestNamespace('watch-ns1'),
      createTestNamespace('watch-ns2'),
      createTestNamespace('watch-ns3'),
    ]);
    const listedLog = new EventLog<MetadataStub>();
    const allLog = new EventLog<MetadataStub>();
    const common = { client, resource: CONFIG_MAPS, metadataOnly: true } as const;
    const listed = started(
      new ResourceWatch<MetadataStub>({
        ...common,
        namespaces: [ns1, ns2],
        onEvent: listedLog.handler,
      }),
    );
    const all = started(
      new ResourceWatch<MetadataStub>({ ...common, namespaces: [], onEvent: allLog.handler }),
    );
    await Promise.all([listed.synced(), all.synced()]);
    expect(listed.hasSynced() && all.hasSynced()).toBe(true);

    for (const ns of [ns1, ns2, ns3]) await createConfigMap(ns, 'root-ca');
    const ours = (line: string) => [ns1, ns2, ns3].some((ns) => line.endsWith(` ${ns}/root-ca`));
    await eventuallyPasses(() =>
      expect(allLog.lines().filter(ours).sort()).toEqual(
        [ns1, ns2, ns3].map((ns) => `add ${ns}/root-ca`).sort(),
      ),
    );
    await eventuallyPasses(() =>
      expect(listedLog.lines().sort()).toEqual([`add ${ns1}/root-ca`, `add ${ns2}/root-ca`].sort()),
    );
    expect(listed.get(`${ns1}/root-ca`)).toBeDefined();
    expect(listed.get(`${ns3}/root-ca`)).toBeUndefined();
    expect(all.get(`${ns3}/root-ca`)).toBeDefined();
    expect(listed.size).toBe(2);
  });
});

describe('ListWatch: memory', () => {
  it('holds no Secret data: the API server sends metadata only and the store keeps four fields', async () => {
    const ns = await createTestNamespace('watch-memory');
    const count = 40;
    const bigData = { 'tls.key': Buffer.alloc(48 * 1024, 7).toString('base64') };
    const bigAnnotation = { 'helm.sh/release-notes': 'n'.repeat(16 * 1024) };
    for (let i = 0; i < count; i++) {
      await core.createNamespacedSecret({
        namespace: ns,
        body: { metadata: { name: `unrelated-${i}`, annotations: bigAnnotation }, data: bigData },
      });
    }

    // The server honours the Accept headers: list and watch carry no data.
    const list = await client.json<{ kind: string; items: RawObject[] }>({
      path: `/api/v1/namespaces/${ns}/secrets`,
      accept: METADATA_LIST_ACCEPT,
    });
    expect(list.kind).toBe('PartialObjectMetadataList');
    expect(list.items).toHaveLength(count);
    expect(list.items.every((item) => !('data' in item))).toBe(true);
    const stream = await client.stream({
      path: `/api/v1/namespaces/${ns}/secrets`,
      query: { watch: 1, timeoutSeconds: 1, resourceVersion: '0' },
      accept: METADATA_WATCH_ACCEPT,
    });
    const firstLine = (await stream.body.text()).split('\n')[0]!;
    const firstEvent = JSON.parse(firstLine) as { object: RawObject };
    expect(firstEvent.object.kind).toBe('PartialObjectMetadata');
    expect(firstEvent.object).not.toHaveProperty('data');

    const log = new EventLog<MetadataStub>();
    const watch = secretWatch(ns, log);
    await watch.synced();
    await createSecret(ns, 'late-arrival');
    await eventuallyPasses(() => expect(watch.size).toBe(count + 1));
    const stored = JSON.stringify(watch.list());
    const bytesPerSecret = stored.length / watch.size;
    process.stderr.write(
      `[kube/watch] metadata-only store: ${watch.size} Secrets of ~${48 + 16} KB each held in ${stored.length} bytes of JSON (${bytesPerSecret.toFixed(0)} per Secret)\n`,
    );
    expect(stored).not.toContain('tls.key');
    expect(stored).not.toContain('helm.sh');
    expect(bytesPerSecret).toBeLessThan(200);
  });
});

describe('ListWatch: faults', () => {
  function proxiedSecretWatch(
    p: FaultProxy,
    namespace: string,
    log: EventLog<MetadataStub>,
    extra: Partial<ListWatchOptions<MetadataStub>> = {},
  ): ListWatch<MetadataStub> {
    return started(
      new ListWatch<MetadataStub>({
        client: proxied.get(p)!,
        resource: SECRETS,
        namespace,
        metadataOnly: true,
        onEvent: log.handler,
        restartBackoff: { baseMs: 200, maxMs: 1_000 },
        ...extra,
      }),
    ) as ListWatch<MetadataStub>;
  }

  it('resumes from the last resourceVersion after a cut connection: nothing missed, no relist', async () => {
    const ns = await createTestNamespace('watch-cut');
    const p = await proxy();
    const log = new EventLog<MetadataStub>();
    const watch = proxiedSecretWatch(p, ns, log);
    await watch.synced();
    await createSecret(ns, 'before');
    await eventuallyPasses(() => expect(log.lines()).toEqual([`add ${ns}/before`]));
    const beforeVersion = Number(watch.get(`${ns}/before`)!.metadata.resourceVersion);

    expect(p.cutWatches()).toBe(1);
    await createSecret(ns, 'during');
    await eventuallyPasses(() =>
      expect(log.lines()).toEqual([`add ${ns}/before`, `add ${ns}/during`]),
    );

    const stats = watch.stats();
    expect(stats.lists).toBe(1);
    expect(stats.errors).toBeGreaterThanOrEqual(1);
    const resumed = p.watchRequests()[1]!;
    expect(Number(resumed.query.get('resourceVersion'))).toBeGreaterThanOrEqual(beforeVersion);
  });

  it('relists after 410 Expired and reports the delete it missed', async () => {
    const ns = await createTestNamespace('watch-410');
    const p = await proxy();
    const log = new EventLog<MetadataStub>();
    const watch = proxiedSecretWatch(p, ns, log);
    await watch.synced();
    await createSecret(ns, 'doomed');
    await createSecret(ns, 'kept', 1);
    await eventuallyPasses(() => expect(log.lines()).toHaveLength(2));

    // Events are lost (stall), then the resumed watch is too old: only a relist can tell.
    p.stallWatches(true);
    await core.deleteNamespacedSecret({ namespace: ns, name: 'doomed' });
    await replaceSecretData(ns, 'kept', 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    p.stallWatches(false);
    p.expireNextWatch();
    p.cutWatches();

    await eventuallyPasses(() =>
      expect(log.lines().slice(2).sort()).toEqual(
        [`delete ${ns}/doomed`, `update ${ns}/kept`].sort(),
      ),
    );
    const stats = watch.stats();
    expect(stats.expired).toBe(1);
    expect(stats.lists).toBe(2);
  });

  it('a silent stall trips the watchdog, which relists and reports what changed meanwhile', async () => {
    const ns = await createTestNamespace('watch-stall');
    const p = await proxy();
    const log = new EventLog<MetadataStub>();
    const watch = proxiedSecretWatch(p, ns, log, { watchdogMs: 1_500 });
    await watch.synced();
    await createSecret(ns, 'doomed');
    await eventuallyPasses(() => expect(log.lines()).toEqual([`add ${ns}/doomed`]));

    p.stallWatches(true);
    const listsBefore = watch.stats().lists;
    await core.deleteNamespacedSecret({ namespace: ns, name: 'doomed' });
    await eventuallyPasses(() =>
      expect(log.lines()).toEqual([`add ${ns}/doomed`, `delete ${ns}/doomed`]),
    );
    const stats = watch.stats();
    expect(stats.stalls).toBeGreaterThanOrEqual(1);
    expect(stats.lists).toBeGreaterThan(listsBefore);
    p.stallWatches(false);
  });

  it('backs off between failed attempts and honours Retry-After', async () => {
    const ns = await createTestNamespace('watch-backoff');
    const p = await proxy();
    p.failNext(3, 500);
    const log = new EventLog<MetadataStub>();
    const watch = proxiedSecretWatch(p, ns, log, {
      restartBackoff: { baseMs: 300, maxMs: 5_000, jitter: 0 },
    });
    await watch.synced();
    const lists = p.listRequests().map((r) => r.at);
    expect(lists).toHaveLength(4);
    const gaps = lists.slice(1).map((t, i) => t - lists[i]!);
    // 300, 600, 1200 ms at least (exact backoff without jitter; only lower bounds are asserted).
    expect(gaps[0]).toBeGreaterThanOrEqual(290);
    expect(gaps[1]).toBeGreaterThanOrEqual(590);
    expect(gaps[2]).toBeGreaterThanOrEqual(1_190);
    expect(watch.stats().errors).toBe(3);

    // Once the watch has been up a while the backoff starts afresh (300 ms, then
    // 600 ms), yet a 429 with Retry-After: 2 makes the next attempt wait 2 s.
    await eventuallyPasses(() => expect(p.openWatches).toBe(1));
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    p.failNext(1, 429, 2);
    const cutAt = Date.now();
    p.cutWatches();
    await eventuallyPasses(() =>
      expect(p.watchRequests().filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(2),
    );
    const [throttled, retried] = p.watchRequests().filter((r) => r.at >= cutAt);
    expect(throttled?.status).toBe(429);
    expect(retried!.at - throttled!.at).toBeGreaterThanOrEqual(1_990);
  }, 30_000);

  it('periodic relists of an unchanged namespace emit nothing (resourceVersion de-dup)', async () => {
    const ns = await createTestNamespace('watch-relist');
    for (const name of ['a', 'b', 'c']) await createSecret(ns, name);
    const p = await proxy();
    const log = new EventLog<MetadataStub>();
    const watch = proxiedSecretWatch(p, ns, log, { relistIntervalMs: 400, relistJitter: 0 });
    await watch.synced();
    await eventuallyPasses(() => expect(watch.stats().lists).toBeGreaterThanOrEqual(4));
    expect(log.lines().sort()).toEqual([`add ${ns}/a`, `add ${ns}/b`, `add ${ns}/c`]);
    expect(watch.stats().errors).toBe(0);
  });
});
