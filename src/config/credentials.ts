// APIG credentials: exactly one of AK/SK, IAM password, keyless (an ID token
// file exchanged at IAM) or a fixed token, complete, each value from X or
// X_FILE (the ID token file is a path, read afresh for every exchange).
import type { ApigCredentials } from '../apig/client.ts';
import { ConfigError, fail, quote, type Environment, type SecretValue } from './env.ts';
import { CONTROL_CHARACTER, parseUrl } from './parsers.ts';

/** Keys and tokens go into HTTP headers or HMAC: visible ASCII only. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

interface CredentialMethod {
  kind: ApigCredentials['kind'];
  label: string;
  variables: readonly string[];
  required: readonly string[];
}

/** A path, not a secret: the kubelet rotates the token in it, so it is read for each exchange. */
const ID_TOKEN_FILE = 'HUAWEICLOUD_SDK_ID_TOKEN_FILE';

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
    kind: 'workloadIdentity',
    label: 'keyless',
    variables: ['HUAWEICLOUD_IAM_ENDPOINT', 'HUAWEICLOUD_SDK_IDP_ID', ID_TOKEN_FILE],
    required: ['HUAWEICLOUD_IAM_ENDPOINT', 'HUAWEICLOUD_SDK_IDP_ID', ID_TOKEN_FILE],
  },
  {
    kind: 'token',
    label: 'fixed token',
    variables: ['APIG_AUTH_TOKEN'],
    required: ['APIG_AUTH_TOKEN'],
  },
];

/** Every credential variable of every method: none set (and no APIG_ENDPOINT) means no environment APIG configuration. */
export const CREDENTIAL_VARIABLES: readonly string[] = [
  ...new Set(CREDENTIAL_METHODS.flatMap((m) => m.variables)),
];

/** Set with either of two methods (the IAM endpoint): says nothing about which one is meant. */
const SHARED_VARIABLES: ReadonlySet<string> = new Set(
  CREDENTIAL_METHODS.flatMap((m) => m.variables).filter((v, i, all) => all.indexOf(v) !== i),
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

/**
 * The ID token as the exchange sends it, read from the file now: an
 * unreadable, empty or garbled file is an error naming the variable and the
 * path, never the content.
 */
function readIdToken(env: Environment, path: string): string {
  const token = env.file(ID_TOKEN_FILE, path).trim();
  if (token === '') fail(ID_TOKEN_FILE, `file ${quote(path)} is empty`);
  if (!HEADER_SAFE.test(token)) {
    fail(ID_TOKEN_FILE, `file ${quote(path)} holds spaces or non-ASCII characters, not a JWT`);
  }
  return token;
}

function workloadIdentity(
  values: ReadonlyMap<string, SecretValue>,
  env: Environment,
  projectId: string | undefined,
  warnings: string[],
): ApigCredentials {
  if (projectId === undefined) {
    fail(
      'HUAWEICLOUD_SDK_PROJECT_ID',
      `is required with ${ID_TOKEN_FILE}: the IAM token is scoped to that project`,
    );
  }
  const endpoint = values.get('HUAWEICLOUD_IAM_ENDPOINT')!;
  const path = values.get(ID_TOKEN_FILE)!.value;
  // Read once now, so a wrong path stops the operator at start.
  readIdToken(env, path);
  return {
    kind: 'workloadIdentity',
    iamEndpoint: parseUrl(endpoint.source, endpoint.value.trim(), warnings),
    idpId: keyLike(values.get('HUAWEICLOUD_SDK_IDP_ID')!),
    projectId,
    idToken: () => Promise.resolve().then(() => readIdToken(env, path)),
  };
}

/** A secret from X or X_FILE; the ID token file's variable holds a path, kept as it is. */
function settingValue(env: Environment, name: string): SecretValue | undefined {
  if (name !== ID_TOKEN_FILE) return env.secret(name);
  const path = env.text(name);
  return path === undefined ? undefined : { value: path, source: name };
}

/**
 * Exactly one method, complete: anything else is one error naming the
 * variables. `projectId` is HUAWEICLOUD_SDK_PROJECT_ID, already validated.
 */
export function credentials(
  env: Environment,
  warnings: string[],
  projectId: string | undefined,
): ApigCredentials {
  const values = new Map<string, SecretValue>();
  for (const method of CREDENTIAL_METHODS) {
    for (const name of method.variables) {
      const value = settingValue(env, name);
      if (value) values.set(name, value);
    }
  }
  const isSetFor = (v: string): boolean => values.has(v) && !SHARED_VARIABLES.has(v);
  const configured = CREDENTIAL_METHODS.filter((m) => m.variables.some(isSetFor));
  if (configured.length === 0) {
    const shared = [...SHARED_VARIABLES].filter((v) => values.has(v));
    const alone = shared.length > 0 ? ` (${shared.join(', ')} alone is not enough)` : '';
    throw new ConfigError(
      `no APIG credentials${alone}: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK, or HUAWEICLOUD_IAM_ENDPOINT, HUAWEICLOUD_USERNAME, HUAWEICLOUD_PASSWORD, HUAWEICLOUD_DOMAIN_NAME and HUAWEICLOUD_PROJECT_NAME, or HUAWEICLOUD_IAM_ENDPOINT, HUAWEICLOUD_SDK_IDP_ID and ${ID_TOKEN_FILE} (keyless), or APIG_AUTH_TOKEN (each but ${ID_TOKEN_FILE} also as <name>_FILE)`,
      [...new Set(CREDENTIAL_METHODS.flatMap((m) => m.required))],
    );
  }
  if (configured.length > 1) {
    const sources = configured.map((m) => ({
      method: m,
      set: m.variables.filter(isSetFor).map((v) => values.get(v)?.source ?? v),
    }));
    throw new ConfigError(
      `conflicting APIG credentials: ${sources.map((s) => `${s.method.label} (${s.set.join(', ')})`).join(' and ')} are set; configure exactly one method`,
      sources.flatMap((s) => s.set),
    );
  }
  const method = configured[0]!;
  const missing = method.required.filter((v) => !values.has(v));
  const asFile = (v: string): string => (v === ID_TOKEN_FILE ? v : `${v} (or ${v}_FILE)`);
  if (missing.length > 0) {
    const present = method.variables
      .filter((v) => values.has(v))
      .map((v) => values.get(v)?.source ?? v);
    throw new ConfigError(
      `incomplete ${method.label} credentials: ${missing.map(asFile).join(', ')} not set while ${present.join(', ')} ${present.length > 1 ? 'are' : 'is'}`,
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
    case 'workloadIdentity':
      return workloadIdentity(values, env, projectId, warnings);
    case 'token':
      return { kind: 'token', token: keyLike(get('APIG_AUTH_TOKEN')) };
  }
}
