// Wiring only: configuration, logger, clients, leader election, controller,
// HTTP probes and metrics, and an orderly exit on SIGTERM.
import { createApigClient } from './apig/index.ts';
import { DEFAULT_TIMEOUT_MS } from './apig/http.ts';
import { DEFAULT_RATE_LIMIT } from './apig/rate-limit.ts';
import { hasErrorKind } from './common/errors.ts';
import { processProbe, startIdleCollection } from './common/idle-collection.ts';
import { apigClientOptions, describeConfig, loadOperatorConfig } from './config/index.ts';
import { loadKubeConfig } from './config/kubeconfig.ts';
import { CertificateController } from './controller/controller.ts';
import { providerClientFactory } from './controller/providers/client-factory.ts';
import { ProviderRegistry } from './controller/providers/registry.ts';
import { EventRecorder } from './kube/event-recorder.ts';
import { KubeClient } from './kube/kube-client.ts';
import { LeaderElector, leaderIdentity } from './kube/leader-election.ts';
import { createLogger } from './log.ts';
import { OperatorHttpServer } from './observability/http-server.ts';
import { ENVIRONMENT_PROVIDER, Metrics } from './observability/metrics.ts';

const COMPONENT = 'apig-cert-operator';
/**
 * A safety net only: the shutdown signal cancels reads and unsent PUTs, so
 * the normal path ends once in-flight PUTs have answered and been recorded.
 * This bounds a call that hangs.
 */
const SHUTDOWN_TIMEOUT_MS = 20_000;
/** Process start to here is Node's start plus loading every module (the bundle); logged below. */
const loaded = { ms: Math.round(performance.now()), rssBytes: process.memoryUsage.rss() };

function loadConfigOrExit() {
  try {
    return { config: loadOperatorConfig(process.env), kubeConfig: loadKubeConfig() };
  } catch (error) {
    if (hasErrorKind(error, 'config')) {
      // Before the logger exists: one line, the variable named, no value echoed.
      process.stderr.write(`apig-cert-operator: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

const { config, kubeConfig } = loadConfigOrExit();
const logger = createLogger({ level: config.logLevel });
for (const warning of config.warnings) logger.warn(warning);
logger.info(
  { decidedBy: config.leaderElection.decidedBy },
  config.leaderElection.enabled ? 'leader election on' : 'leader election off',
);
logger.info(
  { config: describeConfig(config), modulesLoadedMs: loaded.ms, rssAtLoadBytes: loaded.rssBytes },
  'starting apig-cert-operator',
);

const idleProbe = processProbe();
const stopIdleCollection = idleProbe
  ? startIdleCollection(idleProbe, (rss) => logger.debug(rss, 'idle: memory collected'))
  : () => undefined;

const kube = new KubeClient(kubeConfig);
const environmentApig = config.apig;
const apig = environmentApig
  ? createApigClient(apigClientOptions({ apig: environmentApig }, logger))
  : undefined;
const metrics = new Metrics();
if (apig) metrics.addPacingSource(ENVIRONMENT_PROVIDER, () => apig.pacing());
const identity = leaderIdentity(config.leaderElection.identity);
const providers = new ProviderRegistry({
  client: kube,
  namespaces: config.watchNamespaces,
  clusterResourceNamespace: config.clusterResourceNamespace,
  watchClusterProviders: config.watchClusterProviders,
  createClient: providerClientFactory({
    kube,
    metrics,
    logger,
    timeoutMs: environmentApig?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    rateLimit: environmentApig?.rateLimit ?? DEFAULT_RATE_LIMIT,
  }),
  setReady: (label, ready) => metrics.setProviderReady(label, ready),
  logger,
  watchInactivityMs: config.watchInactivityTimeoutMs,
});
for (const [resource, stats] of providers.watchSources()) metrics.addWatchSource(resource, stats);
const controller = new CertificateController({
  client: kube,
  apig,
  target: environmentApig && {
    endpoint: environmentApig.endpoint,
    service: environmentApig.service,
    defaultProjectId: environmentApig.projectId,
  },
  providers,
  namespaces: config.watchNamespaces,
  events: new EventRecorder({ client: kube, component: COMPONENT, instance: identity, logger }),
  metrics,
  logger,
  resyncPeriodMs: config.resyncPeriodMs,
  driftCheckIntervalMs: config.driftCheckIntervalMs,
  dryRun: config.dryRun,
  concurrency: config.reconcileConcurrency,
  watchInactivityMs: config.watchInactivityTimeoutMs,
});
const elector = config.leaderElection.enabled
  ? new LeaderElector({
      client: kube,
      namespace: config.leaderElection.namespace,
      name: config.leaderElection.leaseName,
      identity,
      logger,
    })
  : undefined;

/** Aborted on SIGTERM: stop taking work and cancel what has not been sent. */
const shutdown = new AbortController();
let leading: Promise<void> | undefined;

const http = new OperatorHttpServer({
  metrics,
  logger,
  isReady: () => {
    // A replica that can never lead is not ready: say why instead of idling.
    const blocked = elector?.blocked;
    if (blocked !== undefined) return { ready: false, reason: blocked };
    return controller.hasSynced() && providers.hasSynced()
      ? { ready: true }
      : { ready: false, reason: 'caches not synced' };
  },
});
const address = await http.start(config.http.port, config.http.host);
logger.info({ port: address.port }, 'serving /healthz, /readyz and /metrics');

controller.startWatches();
providers.startWatches();

function startLeading(leadership: AbortSignal): void {
  metrics.setLeader(true);
  const signal = AbortSignal.any([leadership, shutdown.signal]);
  leading = Promise.all([controller.lead(signal), providers.lead(signal)])
    .then(() => undefined)
    .catch((error: unknown) => {
      // A bug, not a bad resource (those end in status): restart clean.
      logger.error({ err: error }, 'controller stopped unexpectedly; exiting');
      exitCode = 1;
      void stop('controller failed');
    });
}

let exitCode = 0;
const campaign = elector
  ? elector
      .run({
        onStartedLeading: startLeading,
        onStoppedLeading: () => metrics.setLeader(false),
        onNewLeader: (leader) => logger.info({ leader }, 'leader observed'),
      })
      .then(() => {
        if (shutdown.signal.aborted) return;
        // As controller-runtime does: a replica that lost its lease exits and
        // comes back as a follower, rather than guessing what it missed.
        logger.error('leadership lost; exiting');
        exitCode = 1;
        void stop('leadership lost');
      })
  : Promise.resolve(startLeading(new AbortController().signal));

let stopping: Promise<void> | undefined;
function stop(reason: string): Promise<void> {
  stopping ??= (async () => {
    logger.info({ reason }, 'shutting down: finishing in-flight calls');
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    shutdown.abort();
    stopIdleCollection();
    await leading;
    // Release the lease only after in-flight work has drained.
    await elector?.stop();
    await campaign;
    await Promise.all([
      controller.stopWatches(),
      providers.stopWatches(),
      apig?.close(),
      providers.close(),
      http.close(),
    ]);
    await kube.close();
    logger.info('stopped');
    logger.flush();
    process.exit(exitCode);
  })();
  return stopping;
}

process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
