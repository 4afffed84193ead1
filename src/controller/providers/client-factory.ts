// A provider's settings → its own APIG client: its own connections, rate
// limiter, token cache and lock-out protection, its calls counted under its
// `provider` label, and the read that proves its credentials.
import { hasErrorKind } from '../../common/errors.ts';
import { timedApig } from '../timed-apig.ts';
import {
  createApigClient,
  type ApigClient,
  type ApigCredentials,
  type RateLimit,
} from '../../apig/index.ts';
import type { KubeClient } from '../../kube/kube-client.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { Logger } from '../../log.ts';
import type { ProviderClient, ProviderClientFactory } from './pass.ts';
import { serviceAccountToken } from './token-request.ts';
import { providerLabel, type ProviderSettings } from './settings.ts';

/** The certificate name the credential check looks for: any answer but 401 proves the credentials. */
export const PROBE_NAME = 'apig_cert_operator_probe';
/** A replaced client is closed this long after: reconciles that still hold it finish first. */
export const RETIRE_AFTER_MS = 60_000;

export interface ProviderClientDefaults {
  kube: KubeClient;
  metrics: Metrics;
  logger: Logger;
  /** APIG_TIMEOUT. */
  timeoutMs: number;
  /** APIG_RATE_LIMIT / APIG_RATE_BURST, for providers without spec.rateLimit. */
  rateLimit: RateLimit;
}

function credentialsFor(settings: ProviderSettings, kube: KubeClient): ApigCredentials {
  const { credentials } = settings;
  if (credentials.kind !== 'workloadIdentity') return credentials;
  const token = serviceAccountToken(kube, credentials.serviceAccount);
  return {
    kind: 'workloadIdentity',
    iamEndpoint: credentials.iamEndpoint,
    idpId: credentials.idpId,
    projectId: settings.target.defaultProjectId,
    idToken: () => token(),
  };
}

/** Lists by a name nothing has (APIG) or shows an ID nothing has (ROMA, which lists per instance). */
async function probe(client: ApigClient, projectId: string, signal: AbortSignal): Promise<void> {
  if (client.service === 'apig') {
    await client.listCertificates({ projectId, name: PROBE_NAME }, signal);
    return;
  }
  try {
    await client.showCertificate({ certificateId: PROBE_NAME, projectId }, signal);
  } catch (error) {
    if (!hasErrorKind(error, 'notFound')) throw error;
  }
}

export function providerClientFactory(defaults: ProviderClientDefaults): ProviderClientFactory {
  return (settings, id) => {
    const label = providerLabel(id);
    const { target } = settings;
    const client = createApigClient({
      endpoint: target.endpoint,
      service: target.service,
      projectId: target.defaultProjectId,
      credentials: credentialsFor(settings, defaults.kube),
      logger: defaults.logger.child({ provider: label }),
      rateLimit: settings.rateLimit ?? defaults.rateLimit,
      caPem: settings.caPem,
      timeoutMs: defaults.timeoutMs,
    });
    const { metrics } = defaults;
    const stopPacingMetrics = metrics.addPacingSource(label, () => client.pacing());
    const provider: ProviderClient = {
      target,
      apig: timedApig(client, metrics, label),
      verify: (signal) =>
        metrics.timeApigCall(
          'listCertificates',
          () => probe(client, target.defaultProjectId, signal),
          signal,
          label,
        ),
      close: () => {
        stopPacingMetrics();
        return client.close();
      },
      retire: () => {
        stopPacingMetrics();
        setTimeout(() => void client.close(), RETIRE_AFTER_MS).unref();
      },
    };
    return provider;
  };
}
