// ApigProvider (namespaced) and ClusterApigProvider (cluster-scoped): where an
// ApigCertificate's certificates live (endpoint, service, project) and how the
// operator signs in there. crds/apig.certsync.io_apigproviders.yaml and
// _clusterapigproviders.yaml define them; test/unit/api/provider-crd.test.ts
// holds these types against the YAML.
import { GROUP, VERSION, type Condition, type FieldPresence } from './v1alpha1.ts';

export const APIG_PROVIDER_KIND = 'ApigProvider';
export const CLUSTER_APIG_PROVIDER_KIND = 'ClusterApigProvider';
export const PROVIDER_KINDS = [APIG_PROVIDER_KIND, CLUSTER_APIG_PROVIDER_KIND] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export const APIG_PROVIDER_RESOURCE = {
  group: GROUP,
  version: VERSION,
  plural: 'apigproviders',
} as const;
export const CLUSTER_APIG_PROVIDER_RESOURCE = {
  group: GROUP,
  version: VERSION,
  plural: 'clusterapigproviders',
} as const;

export const PROVIDER_SERVICES = ['apig', 'roma'] as const;
export type ProviderService = (typeof PROVIDER_SERVICES)[number];

/** `ApigCertificate.spec.providerRef`; kind defaults to ApigProvider. */
export interface ProviderReference {
  kind?: ProviderKind;
  name: string;
}

export interface AccessKeyAuth {
  secretRef: {
    name: string;
    /** Default HUAWEICLOUD_SDK_AK. */
    accessKeyIdKey?: string;
    /** Default HUAWEICLOUD_SDK_SK. */
    secretAccessKeyKey?: string;
    securityTokenKey?: string;
  };
}

export interface IamPasswordAuth {
  iamEndpoint: string;
  domainName: string;
  username: string;
  projectName: string;
  passwordSecretRef: { name: string; key: string };
}

export interface WorkloadIdentityAuth {
  iamEndpoint: string;
  idpId: string;
  serviceAccountRef: { name: string; audiences: string[] };
}

/** Exactly one method (the CRD's CEL rule). */
export interface ProviderAuth {
  accessKey?: AccessKeyAuth;
  iamPassword?: IamPasswordAuth;
  workloadIdentity?: WorkloadIdentityAuth;
}

export interface ApigProviderSpec {
  endpoint: string;
  service?: ProviderService;
  projectId: string;
  caBundle?: string;
  rateLimit?: { requestsPerSecond: number; burst: number };
  auth: ProviderAuth;
}

export interface ApigProviderStatus {
  observedGeneration?: number;
  conditions?: Condition[];
}

/** Both kinds: a ClusterApigProvider has no namespace. */
export interface ApigProviderResource {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
  };
  spec: ApigProviderSpec;
  status?: ApigProviderStatus;
}

export const PROVIDER_REFERENCE_FIELDS = {
  kind: 'optional',
  name: 'required',
} as const satisfies FieldPresence<ProviderReference>;

export const APIG_PROVIDER_SPEC_FIELDS = {
  endpoint: 'required',
  service: 'optional',
  projectId: 'required',
  caBundle: 'optional',
  rateLimit: 'optional',
  auth: 'required',
} as const satisfies FieldPresence<ApigProviderSpec>;

export const RATE_LIMIT_FIELDS = {
  requestsPerSecond: 'required',
  burst: 'required',
} as const satisfies FieldPresence<NonNullable<ApigProviderSpec['rateLimit']>>;

export const PROVIDER_AUTH_FIELDS = {
  accessKey: 'optional',
  iamPassword: 'optional',
  workloadIdentity: 'optional',
} as const satisfies FieldPresence<ProviderAuth>;

export const ACCESS_KEY_SECRET_REF_FIELDS = {
  name: 'required',
  accessKeyIdKey: 'optional',
  secretAccessKeyKey: 'optional',
  securityTokenKey: 'optional',
} as const satisfies FieldPresence<AccessKeyAuth['secretRef']>;

export const IAM_PASSWORD_AUTH_FIELDS = {
  iamEndpoint: 'required',
  domainName: 'required',
  username: 'required',
  projectName: 'required',
  passwordSecretRef: 'required',
} as const satisfies FieldPresence<IamPasswordAuth>;

export const WORKLOAD_IDENTITY_AUTH_FIELDS = {
  iamEndpoint: 'required',
  idpId: 'required',
  serviceAccountRef: 'required',
} as const satisfies FieldPresence<WorkloadIdentityAuth>;

export const SERVICE_ACCOUNT_REF_FIELDS = {
  name: 'required',
  audiences: 'required',
} as const satisfies FieldPresence<WorkloadIdentityAuth['serviceAccountRef']>;

export const APIG_PROVIDER_STATUS_FIELDS = {
  observedGeneration: 'optional',
  conditions: 'optional',
} as const satisfies FieldPresence<ApigProviderStatus>;
