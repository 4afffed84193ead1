// A provider's spec and the Secret it names → what an APIG client is built
// from, or the reason it cannot be. Pure: the registry reads the Secret and
// hands its data in.
import type { ApigCredentials, ApigService, RateLimit } from '../../apig/index.ts';
import {
  APIG_PROVIDER_KIND,
  CLUSTER_APIG_PROVIDER_KIND,
  type ApigProviderResource,
  type ApigProviderSpec,
  type ProviderKind,
} from '../../api/providers.ts';
import { checkBaseUrl } from '../../common/url.ts';
import type { Lookup } from '../reconcile.ts';
import { PROVIDER_REASONS } from './reasons.ts';

export const DEFAULT_ACCESS_KEY_ID_KEY = 'HUAWEICLOUD_SDK_AK';
export const DEFAULT_SECRET_ACCESS_KEY_KEY = 'HUAWEICLOUD_SDK_SK';

/** Which provider: a ClusterApigProvider has no namespace. */
export interface ProviderId {
  kind: ProviderKind;
  namespace?: string | undefined;
  name: string;
}

/** `ApigProvider/<namespace>/<name>` or `ClusterApigProvider/<name>`: the registry's key. */
export function providerKey(id: ProviderId): string {
  return id.kind === APIG_PROVIDER_KIND
    ? `${APIG_PROVIDER_KIND}/${id.namespace ?? ''}/${id.name}`
    : `${CLUSTER_APIG_PROVIDER_KIND}/${id.name}`;
}

/** The metrics label: `<namespace>/<name>` or `cluster/<name>`. */
export function providerLabel(id: ProviderId): string {
  return id.kind === APIG_PROVIDER_KIND ? `${id.namespace ?? ''}/${id.name}` : `cluster/${id.name}`;
}

export function providerIdOf(kind: ProviderKind, provider: ApigProviderResource): ProviderId {
  const { namespace, name } = provider.metadata;
  return kind === APIG_PROVIDER_KIND ? { kind, namespace, name } : { kind, name };
}

/** Where a provider's certificates live: also part of each certificate's content digest. */
export interface ProviderTarget {
  endpoint: string;
  service: ApigService;
  defaultProjectId: string;
}

/** Keyless: the ServiceAccount whose token IAM exchanges. */
export interface ServiceAccountTokenSource {
  namespace: string;
  name: string;
  audiences: readonly string[];
}

/** The client's credentials, except that a keyless provider names a ServiceAccount, not a token source. */
export type ProviderCredentials =
  | Exclude<ApigCredentials, { kind: 'workloadIdentity' }>
  | {
      kind: 'workloadIdentity';
      iamEndpoint: string;
      idpId: string;
      serviceAccount: ServiceAccountTokenSource;
    };

export interface ProviderSettings {
  target: ProviderTarget;
  credentials: ProviderCredentials;
  rateLimit: RateLimit | undefined;
  caPem: string | undefined;
  /** Accepted but worth saying in the Ready message (plain http). */
  warnings: string[];
}

export interface ProviderProblem {
  reason: string;
  message: string;
}

export type SettingsResult =
  { ok: true; settings: ProviderSettings } | { ok: false; problem: ProviderProblem };

/** The one Secret a provider names (AK/SK or password), if any. */
export function credentialSecretName(spec: ApigProviderSpec): string | undefined {
  return spec.auth.accessKey?.secretRef.name ?? spec.auth.iamPassword?.passwordSecretRef.name;
}

/** Keys and tokens go into HTTP headers or HMAC: visible ASCII only. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;
const CONTROL_CHARACTER = /\p{Cc}/u;

export interface SettingsInput {
  spec: ApigProviderSpec;
  /** Where its Secrets and ServiceAccount are: undefined when there is none to use. */
  resourceNamespace: string;
  /** The decoded data of the Secret `credentialSecretName` names (present when it names one). */
  secret?: Lookup<Readonly<Record<string, string>>> | undefined;
}

function checkedUrl(field: string, raw: string, warnings: string[]): string | ProviderProblem {
  const checked = checkBaseUrl(raw);
  if (!checked.ok) {
    return {
      reason: PROVIDER_REASONS.invalidSpec,
      message: `${field}: not a usable http(s) base URL (${checked.problem.reason})`,
    };
  }
  if (checked.plainHttp) warnings.push(`${field} is plain http: use it only for a local simulator`);
  return checked.base;
}

export function providerSettings(input: SettingsInput): SettingsResult {
  const { spec } = input;
  const warnings: string[] = [];
  const endpoint = checkedUrl('spec.endpoint', spec.endpoint, warnings);
  if (typeof endpoint !== 'string') return { ok: false, problem: endpoint };
  const credentials = credentialsOf(input, warnings);
  if ('reason' in credentials) return { ok: false, problem: credentials };
  return {
    ok: true,
    settings: {
      target: { endpoint, service: spec.service ?? 'apig', defaultProjectId: spec.projectId },
      credentials,
      rateLimit: spec.rateLimit,
      caPem: spec.caBundle,
      warnings,
    },
  };
}

function credentialsOf(
  input: SettingsInput,
  warnings: string[],
): ProviderCredentials | ProviderProblem {
  const { auth } = input.spec;
  if (auth.workloadIdentity) {
    const { iamEndpoint, idpId, serviceAccountRef } = auth.workloadIdentity;
    const iam = checkedUrl('spec.auth.workloadIdentity.iamEndpoint', iamEndpoint, warnings);
    if (typeof iam !== 'string') return iam;
    return {
      kind: 'workloadIdentity',
      iamEndpoint: iam,
      idpId,
      serviceAccount: {
        namespace: input.resourceNamespace,
        name: serviceAccountRef.name,
        audiences: serviceAccountRef.audiences,
      },
    };
  }
  const secretName = credentialSecretName(input.spec) ?? '';
  const secret = input.secret;
  if (!secret?.found) {
    return {
      reason: PROVIDER_REASONS.secretNotFound,
      message: `Secret ${input.resourceNamespace}/${secretName}: ${secret?.what ?? 'not read'}`,
    };
  }
  const data = secret.value;
  const value = (key: string, check: RegExp, what: string): string | ProviderProblem => {
    const found = data[key];
    if (found === undefined || found === '') {
      return {
        reason: PROVIDER_REASONS.secretKeyNotFound,
        message: `Secret ${input.resourceNamespace}/${secretName} has no key ${key}`,
      };
    }
    if (!check.test(found)) {
      return {
        reason: PROVIDER_REASONS.invalidCredentials,
        message: `Secret ${input.resourceNamespace}/${secretName} key ${key}: ${what}`,
      };
    }
    return found;
  };
  if (auth.accessKey) {
    const ref = auth.accessKey.secretRef;
    const keyLike = 'contains spaces, line breaks or non-ASCII characters';
    const accessKey = value(ref.accessKeyIdKey ?? DEFAULT_ACCESS_KEY_ID_KEY, HEADER_SAFE, keyLike);
    if (typeof accessKey !== 'string') return accessKey;
    const secretKey = value(
      ref.secretAccessKeyKey ?? DEFAULT_SECRET_ACCESS_KEY_KEY,
      HEADER_SAFE,
      keyLike,
    );
    if (typeof secretKey !== 'string') return secretKey;
    if (ref.securityTokenKey === undefined) return { kind: 'aksk', accessKey, secretKey };
    const securityToken = value(ref.securityTokenKey, HEADER_SAFE, keyLike);
    if (typeof securityToken !== 'string') return securityToken;
    return { kind: 'aksk', accessKey, secretKey, securityToken };
  }
  if (auth.iamPassword) {
    const { iamEndpoint, domainName, username, projectName, passwordSecretRef } = auth.iamPassword;
    const iam = checkedUrl('spec.auth.iamPassword.iamEndpoint', iamEndpoint, warnings);
    if (typeof iam !== 'string') return iam;
    const password = value(
      passwordSecretRef.key,
      /^[^\p{Cc}]+$/u,
      'contains a line break or control character',
    );
    if (typeof password !== 'string') return password;
    for (const [field, text] of [
      ['domainName', domainName],
      ['username', username],
      ['projectName', projectName],
    ] as const) {
      if (CONTROL_CHARACTER.test(text)) {
        return {
          reason: PROVIDER_REASONS.invalidSpec,
          message: `spec.auth.iamPassword.${field} contains a control character`,
        };
      }
    }
    return { kind: 'iamPassword', iamEndpoint: iam, domainName, username, projectName, password };
  }
  return { reason: PROVIDER_REASONS.invalidSpec, message: 'spec.auth names no method' };
}
