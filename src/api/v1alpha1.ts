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

export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;
export type ConditionStatus = (typeof CONDITION_STATUSES)[number];

export interface NameReference {
  name: string;
}

export interface KeyReference {
  name: string;
  key: string;
}

export interface ApigCertificateSpec {
  certificateId: string;
  name: string;
  secretRef: NameReference;
  type?: CertificateType;
  instanceId?: string;
  algorithmType?: AlgorithmType;
  signSecretRef?: NameReference;
  trustedRootCA?: { secretRef?: KeyReference; configMapRef?: KeyReference };
  projectId?: string;
  suspend?: boolean;
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
  certificateId: 'required',
  name: 'required',
  secretRef: 'required',
  type: 'optional',
  instanceId: 'optional',
  algorithmType: 'optional',
  signSecretRef: 'optional',
  trustedRootCA: 'optional',
  projectId: 'optional',
  suspend: 'optional',
  providerRef: 'optional',
} as const satisfies FieldPresence<ApigCertificateSpec>;

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
} as const satisfies FieldPresence<ApigCertificateStatus>;

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
