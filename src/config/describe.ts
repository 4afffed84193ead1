// The start-up log line's view of the configuration: every setting, no secret.
import type { ApigCredentials } from '../apig/client.ts';
import type { ApigSettings, OperatorConfig } from './types.ts';

export const SECRET_SET = '[set]';

function describeCredentials(credentials: Readonly<ApigCredentials>): Record<string, string> {
  switch (credentials.kind) {
    case 'aksk':
      return {
        kind: 'aksk',
        accessKey: SECRET_SET,
        secretKey: SECRET_SET,
        ...(credentials.securityToken ? { securityToken: SECRET_SET } : {}),
      };
    case 'iamPassword':
      return {
        kind: 'iamPassword',
        iamEndpoint: credentials.iamEndpoint,
        username: credentials.username,
        password: SECRET_SET,
        domainName: credentials.domainName,
        projectName: credentials.projectName,
      };
    case 'token':
      return { kind: 'token', token: SECRET_SET };
    case 'workloadIdentity':
      return {
        kind: 'workloadIdentity',
        iamEndpoint: credentials.iamEndpoint,
        idpId: credentials.idpId,
        projectId: credentials.projectId,
        idToken: SECRET_SET,
      };
  }
}

/** A summary for the start-up log line: every setting, secrets replaced by '[set]', no CA PEM. */
export function describeConfig(
  config: OperatorConfig<ApigSettings | undefined>,
): Record<string, unknown> {
  return {
    apig: describeApig(config.apig),
    watchNamespaces: config.watchNamespaces.length > 0 ? [...config.watchNamespaces] : 'all',
    logLevel: config.logLevel,
    leaderElection: { ...config.leaderElection },
    http: { ...config.http },
    resyncPeriodMs: config.resyncPeriodMs,
    watchInactivityTimeoutMs: config.watchInactivityTimeoutMs,
    reconcileConcurrency: config.reconcileConcurrency,
    driftCheckIntervalMs: config.driftCheckIntervalMs,
    dryRun: config.dryRun,
    clusterResourceNamespace: config.clusterResourceNamespace ?? 'none',
    watchClusterProviders: config.watchClusterProviders,
  };
}

function describeApig(settings: ApigSettings | undefined): Record<string, unknown> | string {
  if (settings === undefined) return 'none (providers only)';
  const { caPem: _caPem, credentials, ...apig } = settings;
  return { ...apig, credentials: describeCredentials(credentials) };
}
