// APIG credentials: exactly one of AK/SK, IAM password or a fixed token,
// complete, each value from X or X_FILE.
import type { ApigCredentials } from '../apig/client.ts';
import { ConfigError, fail, type Environment, type SecretValue } from './env.ts';
import { CONTROL_CHARACTER, parseUrl } from './parsers.ts';

/** Keys and tokens go into HTTP headers or HMAC: visible ASCII only. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

interface CredentialMethod {
  kind: ApigCredentials['kind'];
  label: string;
  variables: readonly string[];
  required: readonly string[];
}

const CREDENTIAL_METHODS: readonly CredentialMethod[] = [
  {
    kind: 'aksk',
    label: 'AK/SK',
    variables: ['HUAWEICLOUD_SDK_AK', 'HUAWEICLOUD_SDK_SK', 'HUAWEICLOUD_SDK_SECURITY_TOKEN'],
    required: ['HUAWEICLOUD_SDK_AK', 'HUAWEICLOUD_SDK_SK'],
  },
  {
    kind: 'iamPassword',
    label: 'IAM password',
    variables: [
      'HUAWEICLOUD_IAM_ENDPOINT',
      'HUAWEICLOUD_USERNAME',
      'HUAWEICLOUD_PASSWORD',
      'HUAWEICLOUD_DOMAIN_NAME',
      'HUAWEICLOUD_PROJECT_NAME',
    ],
    required: [
      'HUAWEICLOUD_IAM_ENDPOINT',
      'HUAWEICLOUD_USERNAME',
      'HUAWEICLOUD_PASSWORD',
      'HUAWEICLOUD_DOMAIN_NAME',
      'HUAWEICLOUD_PROJECT_NAME',
    ],
  },
  {
    kind: 'token',
    label: 'fixed token',
    variables: ['APIG_AUTH_TOKEN'],
    required: ['APIG_AUTH_TOKEN'],
  },
];

/** Every credential variable of every method: none set (and no APIG_ENDPOINT) means no environment APIG configuration. */
export const CREDENTIAL_VARIABLES: readonly string[] = CREDENTIAL_METHODS.flatMap(
  (m) => m.variables,
);

/** Keys, secret keys and tokens: header-safe ASCII, or it is a copy-paste error. */
function keyLike(secret: SecretValue): string {
  if (!HEADER_SAFE.test(secret.value)) {
    fail(secret.source, 'contains spaces, line breaks or non-ASCII characters');
  }
  return secret.value;
}

function printable(secret: SecretValue): string {
  if (CONTROL_CHARACTER.test(secret.value)) {
    fail(secret.source, 'contains a line break or control character');
  }
  return secret.value;
}

/** User, account and project names: trimmed, not blank. */
function nameLike(secret: SecretValue): string {
  const value = printable(secret).trim();
  if (value === '') fail(secret.source, 'is blank');
  return value;
}

/** Exactly one method, complete: anything else is one error naming the variables. */
export function credentials(env: Environment, warnings: string[]): ApigCredentials {
  const values = new Map<string, SecretValue>();
  for (const method of CREDENTIAL_METHODS) {
    for (const name of method.variables) {
      const value = env.secret(name);
      if (value) values.set(name, value);
    }
  }
  const configured = CREDENTIAL_METHODS.filter((m) => m.variables.some((v) => values.has(v)));
  if (configured.length === 0) {
    throw new ConfigError(
      'no APIG credentials: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK, or HUAWEICLOUD_IAM_ENDPOINT, HUAWEICLOUD_USERNAME, HUAWEICLOUD_PASSWORD, HUAWEICLOUD_DOMAIN_NAME and HUAWEICLOUD_PROJECT_NAME, or APIG_AUTH_TOKEN (each also as <name>_FILE)',
      CREDENTIAL_METHODS.flatMap((m) => m.required),
    );
  }
  if (configured.length > 1) {
    const sources = configured.map((m) => ({
      method: m,
      set: m.variables.filter((v) => values.has(v)).map((v) => values.get(v)?.source ?? v),
    }));
    throw new ConfigError(
      `conflicting APIG credentials: ${sources.map((s) => `${s.method.label} (${s.set.join(', ')})`).join(' and ')} are set; configure exactly one method`,
      sources.flatMap((s) => s.set),
    );
  }
  const method = configured[0]!;
  const missing = method.required.filter((v) => !values.has(v));
  if (missing.length > 0) {
    const present = method.variables
      .filter((v) => values.has(v))
      .map((v) => values.get(v)?.source ?? v);
    throw new ConfigError(
      `incomplete ${method.label} credentials: ${missing.map((v) => `${v} (or ${v}_FILE)`).join(', ')} not set while ${present.join(', ')} ${present.length > 1 ? 'are' : 'is'}`,
      missing,
    );
  }
  const get = (name: string): SecretValue => values.get(name)!;
  switch (method.kind) {
    case 'aksk': {
      const token = values.get('HUAWEICLOUD_SDK_SECURITY_TOKEN');
      return {
        kind: 'aksk',
        accessKey: keyLike(get('HUAWEICLOUD_SDK_AK')),
        secretKey: keyLike(get('HUAWEICLOUD_SDK_SK')),
        ...(token ? { securityToken: keyLike(token) } : {}),
      };
    }
    case 'iamPassword': {
      const endpoint = get('HUAWEICLOUD_IAM_ENDPOINT');
      return {
        kind: 'iamPassword',
        iamEndpoint: parseUrl(endpoint.source, endpoint.value.trim(), warnings),
        username: nameLike(get('HUAWEICLOUD_USERNAME')),
        password: printable(get('HUAWEICLOUD_PASSWORD')),
        domainName: nameLike(get('HUAWEICLOUD_DOMAIN_NAME')),
        projectName: nameLike(get('HUAWEICLOUD_PROJECT_NAME')),
      };
    }
    case 'token':
      return { kind: 'token', token: keyLike(get('APIG_AUTH_TOKEN')) };
  }
}
