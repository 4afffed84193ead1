// The ApigCertificate resource as crds/ defines it (apig.certsync.io/v1alpha1).

export const GROUP = 'apig.certsync.io';
export const VERSION = 'v1alpha1';
export const KIND = 'ApigCertificate';
export const PLURAL = 'apigcertificates';

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
  type?: 'global' | 'instance';
  instanceId?: string;
  algorithmType?: 'RSA' | 'ECC' | 'SM2';
  signSecretRef?: NameReference;
  trustedRootCA?: { secretRef?: KeyReference; configMapRef?: KeyReference };
  projectId?: string;
  suspend?: boolean;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

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
