// The operator's API, apig.certsync.io/v1alpha1, as crds/ defines it: the one
// source of its group, version, kinds, spec and status types and enums. It
// imports nothing outside src/api/, so every layer (kube/, controller/, observability/, tests)
// may use it. test/unit/api/crd.test.ts holds it against the CRD YAML.
import type { ProviderReference } from './providers.ts';

export const GROUP = 'apig.certsync.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export const APIG_CERTIFICATE_KIND = 'ApigCertificate';
/** The resource as list/watch paths name it (structurally a kube ResourceType). */
export const APIG_CERTIFICATE_RESOURCE = {
  group: GROUP,
  version: VERSION,
  plural: 'apigcertificates',
} as const;

export const CERTIFICATE_TYPES = ['global', 'instance'] as const;
export type CertificateType = (typeof CERTIFICATE_TYPES)[number];

/** APIG's `algorithm_type`. */
export const ALGORITHM_TYPES = ['RSA', 'ECC', 'SM2'] as const;
export type AlgorithmType = (typeof ALGORITHM_TYPES)[number];

export function isAlgorithmType(value: string): value is AlgorithmType {
  return (ALGORITHM_TYPES as readonly string[]).includes(value);
}

/** What deleting the resource does in APIG: `Retain` (default) leaves it alone. */
export const DELETION_POLICIES = ['Retain', 'Delete'] as const;
export type DeletionPolicy = (typeof DELETION_POLICIES)[number];

/** The finalizer a `Delete` policy adds; removed once APIG is cleaned up. */
export const CLEANUP_FINALIZER = `${GROUP}/cleanup`;
/** `"true"`: a resource being deleted goes without touching APIG. */
export const SKIP_CLEANUP_ANNOTATION = `${GROUP}/skip-cleanup`;

export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;
export type ConditionStatus = (typeof CONDITION_STATUSES)[number];

export interface NameReference {
  name: string;
}

export interface KeyReference {
  name: string;
  key: string;
}

/** A domain (already bound to an API group) the certificate must be attached to. */
export interface DomainSpec {
  name: string;
  /** Instances whose binding of this domain gets the certificate; all when absent. */
  instanceIds?: string[];
  verifiedClientCertificateEnabled?: boolean;
}

/** A declared domain as APIG's attached-domains reports it. */
export interface DomainStatus {
  name: string;
  /** The certificate is attached to this domain. */
  bound: boolean;
  instanceId?: string;
  apiGroupName?: string;
  /** APIG's domain status (e.g. the CNAME resolution state). */
  status?: string;
}

export interface ApigCertificateSpec {
  /** Absent: the certificate named `name` in the scope is adopted or created. */
  certificateId?: string;
  name: string;
  secretRef: NameReference;
  type?: CertificateType;
  instanceId?: string;
  algorithmType?: AlgorithmType;
  signSecretRef?: NameReference;
  trustedRootCA?: { secretRef?: KeyReference; configMapRef?: KeyReference };
  projectId?: string;
  suspend?: boolean;
  domains?: DomainSpec[];
  deletionPolicy?: DeletionPolicy;
  /** Absent: the operator's environment configuration. */
  providerRef?: ProviderReference;
}

/** metav1.Condition */
export interface Condition {
  type: string;
  status: ConditionStatus;
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface LastError {
  code: string;
  message: string;
  httpStatus?: number;
  requestId?: string;
  time: string;
}

/** The create a resource is about to send, or sent without knowing the outcome. */
export interface PendingCreate {
  name: string;
  type: CertificateType;
  /** The instance of an `instance` certificate. */
  instanceId?: string;
  projectId: string;
}

export interface ApigCertificateStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  notAfter?: string;
  notBefore?: string;
  serialNumber?: string;
  commonName?: string;
  san?: string[];
  issuer?: string[];
  signatureAlgorithm?: string;
  algorithmType?: string;
  lastSyncTime?: string;
  syncedHash?: string;
  /** Digest of content APIG refused permanently: not sent again until something changes. */
  failedHash?: string;
  lastError?: LastError;
  /** The APIG certificate ID, once known (also when the spec names it). */
  certificateId?: string;
  /** This resource created the certificate (so a Delete policy deletes it). */
  created?: boolean;
  /**
   * Recorded before a create (POST) is sent and cleared once its outcome is
   * known: a later pass that finds a certificate of this name in this scope
   * records it as created, even after the process died before the POST's answer.
   */
  pendingCreate?: PendingCreate;
  domains?: DomainStatus[];
  /** Domains this resource attached: the only ones it ever detaches. */
  attachedDomains?: string[];
  lastDriftCheckTime?: string;
}

export interface ApigCertificateResource {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    finalizers?: string[];
    annotations?: Record<string, string>;
  };
  spec: ApigCertificateSpec;
  status?: ApigCertificateStatus;
}

/**
 * Each field of a type, marked as the type declares it. `satisfies` makes the
 * compiler refuse a list that misses a field, names one the type lacks, or
 * marks one wrongly, so the CRD test can compare these lists with the YAML.
 */
export type FieldPresence<T> = {
  readonly [K in keyof T]-?: object extends Pick<T, K> ? 'optional' : 'required';
};

export const APIG_CERTIFICATE_SPEC_FIELDS = {
  certificateId: 'optional',
  name: 'required',
  secretRef: 'required',
  type: 'optional',
  instanceId: 'optional',
  algorithmType: 'optional',
  signSecretRef: 'optional',
  trustedRootCA: 'optional',
  projectId: 'optional',
  suspend: 'optional',
  domains: 'optional',
  deletionPolicy: 'optional',
  providerRef: 'optional',
} as const satisfies FieldPresence<ApigCertificateSpec>;

export const DOMAIN_SPEC_FIELDS = {
  name: 'required',
  instanceIds: 'optional',
  verifiedClientCertificateEnabled: 'optional',
} as const satisfies FieldPresence<DomainSpec>;

export const DOMAIN_STATUS_FIELDS = {
  name: 'required',
  bound: 'required',
  instanceId: 'optional',
  apiGroupName: 'optional',
  status: 'optional',
} as const satisfies FieldPresence<DomainStatus>;

export const NAME_REFERENCE_FIELDS = {
  name: 'required',
} as const satisfies FieldPresence<NameReference>;

export const KEY_REFERENCE_FIELDS = {
  name: 'required',
  key: 'required',
} as const satisfies FieldPresence<KeyReference>;

export const TRUSTED_ROOT_CA_FIELDS = {
  secretRef: 'optional',
  configMapRef: 'optional',
} as const satisfies FieldPresence<NonNullable<ApigCertificateSpec['trustedRootCA']>>;

export const APIG_CERTIFICATE_STATUS_FIELDS = {
  observedGeneration: 'optional',
  conditions: 'optional',
  notAfter: 'optional',
  notBefore: 'optional',
  serialNumber: 'optional',
  commonName: 'optional',
  san: 'optional',
  issuer: 'optional',
  signatureAlgorithm: 'optional',
  algorithmType: 'optional',
  lastSyncTime: 'optional',
  syncedHash: 'optional',
  failedHash: 'optional',
  lastError: 'optional',
  certificateId: 'optional',
  created: 'optional',
  pendingCreate: 'optional',
  domains: 'optional',
  attachedDomains: 'optional',
  lastDriftCheckTime: 'optional',
} as const satisfies FieldPresence<ApigCertificateStatus>;

export const PENDING_CREATE_FIELDS = {
  name: 'required',
  type: 'required',
  instanceId: 'optional',
  projectId: 'required',
} as const satisfies FieldPresence<PendingCreate>;

export const CONDITION_FIELDS = {
  type: 'required',
  status: 'required',
  observedGeneration: 'optional',
  lastTransitionTime: 'required',
  reason: 'required',
  message: 'required',
} as const satisfies FieldPresence<Condition>;

/** The operator always writes code, message and time; the CRD leaves lastError's fields optional. */
export const LAST_ERROR_FIELDS = {
  code: 'required',
  message: 'required',
  httpStatus: 'optional',
  requestId: 'optional',
  time: 'required',
} as const satisfies FieldPresence<LastError>;
