// The validated configuration: what loadConfig returns and main wires up.
import type { LevelWithSilent } from 'pino';
import type { ApigCredentials, ApigService } from '../apig/client.ts';
import type { RateLimit } from '../apig/index.ts';

/** What `createApigClient` needs, minus the logger and clock that main adds. */
export interface ApigSettings {
  readonly endpoint: string;
  readonly service: ApigService;
  /** Undefined: every ApigCertificate must set spec.projectId. */
  readonly projectId: string | undefined;
  readonly credentials: Readonly<ApigCredentials>;
  readonly rateLimit: Readonly<RateLimit>;
  /** APIG_CA_FILE, kept for describeConfig; its content is `caPem`. */
  readonly caFile: string | undefined;
  readonly caPem: string | undefined;
  /**
   * APIG_TIMEOUT: bounds the wait for response headers and between body chunks;
   * the client also caps connecting at this (apig/http.ts transportTimeouts).
   */
  readonly timeoutMs: number;
}

interface LeaderElectionCommon {
  /** How `enabled` was decided, for the start-up log. */
  readonly decidedBy: string;
  /** LEADER_ELECTION_ID: the Lease name. */
  readonly leaseName: string;
  /** POD_NAME or the host name; main appends a random suffix (leaderIdentity). */
  readonly identity: string;
}

/** On: the Lease lives in `namespace`. Off: this replica reconciles alone. */
export type LeaderElectionSettings = LeaderElectionCommon &
  (
    | { readonly enabled: true; readonly namespace: string }
    | { readonly enabled: false; readonly namespace?: undefined }
  );

export interface HttpSettings {
  /** 0 picks a free port (tests running several operators). */
  readonly port: number;
  readonly host: string;
}

/**
 * `Apig` is `ApigSettings | undefined` for `loadOperatorConfig`: an operator
 * that serves only ApigProviders / ClusterApigProviders has no environment
 * APIG configuration.
 */
export interface OperatorConfig<Apig extends ApigSettings | undefined = ApigSettings> {
  readonly apig: Apig;
  /** Empty: all namespaces. */
  readonly watchNamespaces: readonly string[];
  readonly logLevel: LevelWithSilent;
  readonly leaderElection: LeaderElectionSettings;
  readonly http: HttpSettings;
  readonly resyncPeriodMs: number;
  /** A watch that delivers nothing for this long is restarted (ListWatch `watchdogMs`). */
  readonly watchInactivityTimeoutMs: number;
  readonly reconcileConcurrency: number;
  /** DRIFT_CHECK_INTERVAL: APIG is read back this often per resource; 0 turns it off. */
  readonly driftCheckIntervalMs: number;
  /** DRY_RUN: every decision computed and reported, no APIG write. */
  readonly dryRun: boolean;
  /**
   * CLUSTER_RESOURCE_NAMESPACE, else the pod's own namespace: where
   * ClusterApigProviders' Secrets and ServiceAccounts are. Undefined outside a
   * cluster without it.
   */
  readonly clusterResourceNamespace: string | undefined;
  /**
   * WATCH_CLUSTER_PROVIDERS; default true when all namespaces are watched. A
   * namespaced install (a Role, no ClusterRole) may not list cluster-scoped kinds.
   */
  readonly watchClusterProviders: boolean;
  /** Accepted but worth a warning in the log at start. */
  readonly warnings: readonly string[];
}
