// Keyless in the environment configuration: HUAWEICLOUD_SDK_IDP_ID +
// HUAWEICLOUD_SDK_ID_TOKEN_FILE (+ the IAM endpoint and project), refused at
// start when contradictory or incomplete, the file read afresh for each exchange.
import { ConfigError, describeConfig, loadConfig } from '../../../src/config/index.ts';
import { configErrorOf, fakeFiles } from './fake-files.ts';

const TOKEN_PATH = '/var/run/secrets/tokens/huaweicloud';
// Every secret contains SECRET: no message or summary may contain it.
const ID_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJTRUNSRVQiOjF9.SECRET-signature';
const PROJECT = '05041fffa40025702f6dc009cc6f8f33';

const KEYLESS: NodeJS.ProcessEnv = {
  APIG_ENDPOINT: 'https://apig.cn-north-4.myhuaweicloud.com',
  HUAWEICLOUD_SDK_PROJECT_ID: PROJECT,
  HUAWEICLOUD_IAM_ENDPOINT: 'https://iam.cn-north-4.myhuaweicloud.com',
  HUAWEICLOUD_SDK_IDP_ID: 'cce-cluster-oidc',
  HUAWEICLOUD_SDK_ID_TOKEN_FILE: TOKEN_PATH,
};

function load(overrides: NodeJS.ProcessEnv = {}, files: Record<string, string> = {}) {
  return loadConfig({ ...KEYLESS, ...overrides }, fakeFiles(files));
}

function keylessCredentials(files: Record<string, string>, overrides: NodeJS.ProcessEnv = {}) {
  const { credentials } = load(overrides, files).apig;
  if (credentials.kind !== 'workloadIdentity') throw new Error(`got ${credentials.kind}`);
  return credentials;
}

const withToken = { [TOKEN_PATH]: `${ID_TOKEN}\n` };

describe('keyless configuration refused at start, naming the variables', () => {
  it.each<[string, NodeJS.ProcessEnv, Record<string, string>, string[]]>([
    // [case, env overrides, files, what the message must name]
    [
      'IdP without the token file',
      { HUAWEICLOUD_SDK_ID_TOKEN_FILE: undefined },
      {},
      ['incomplete keyless', 'HUAWEICLOUD_SDK_ID_TOKEN_FILE not set', 'HUAWEICLOUD_SDK_IDP_ID'],
    ],
    [
      'token file without the IdP',
      { HUAWEICLOUD_SDK_IDP_ID: undefined },
      withToken,
      ['incomplete keyless', 'HUAWEICLOUD_SDK_IDP_ID (or HUAWEICLOUD_SDK_IDP_ID_FILE) not set'],
    ],
    [
      'keyless without the IAM endpoint',
      { HUAWEICLOUD_IAM_ENDPOINT: undefined },
      withToken,
      ['incomplete keyless', 'HUAWEICLOUD_IAM_ENDPOINT'],
    ],
    [
      'the IAM endpoint alone',
      { HUAWEICLOUD_SDK_IDP_ID: undefined, HUAWEICLOUD_SDK_ID_TOKEN_FILE: undefined },
      {},
      ['no APIG credentials', 'HUAWEICLOUD_IAM_ENDPOINT alone is not enough'],
    ],
    [
      'keyless and AK/SK',
      { HUAWEICLOUD_SDK_AK: 'AKSECRET', HUAWEICLOUD_SDK_SK: 'SKSECRET' },
      withToken,
      [
        'conflicting',
        'AK/SK (HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK)',
        'keyless (HUAWEICLOUD_SDK_IDP_ID, HUAWEICLOUD_SDK_ID_TOKEN_FILE)',
      ],
    ],
    [
      'keyless and an IAM password',
      { HUAWEICLOUD_USERNAME: 'op', HUAWEICLOUD_PASSWORD: 'PW-SECRET' },
      withToken,
      [
        'conflicting',
        'IAM password (HUAWEICLOUD_USERNAME, HUAWEICLOUD_PASSWORD)',
        'keyless (HUAWEICLOUD_SDK_IDP_ID',
      ],
    ],
    [
      'keyless and a fixed token',
      { APIG_AUTH_TOKEN: 'TOKEN-SECRET' },
      withToken,
      ['conflicting', 'APIG_AUTH_TOKEN', 'HUAWEICLOUD_SDK_ID_TOKEN_FILE'],
    ],
    [
      'no project to scope the token to',
      { HUAWEICLOUD_SDK_PROJECT_ID: undefined },
      withToken,
      ['HUAWEICLOUD_SDK_PROJECT_ID', 'required', 'HUAWEICLOUD_SDK_ID_TOKEN_FILE'],
    ],
    ['token file missing', {}, {}, ['HUAWEICLOUD_SDK_ID_TOKEN_FILE', `"${TOKEN_PATH}"`, 'ENOENT']],
    ['token file empty', {}, { [TOKEN_PATH]: ' \n' }, ['HUAWEICLOUD_SDK_ID_TOKEN_FILE', 'empty']],
    [
      'token file not a single token',
      {},
      { [TOKEN_PATH]: `${ID_TOKEN} ${ID_TOKEN}` },
      ['HUAWEICLOUD_SDK_ID_TOKEN_FILE', 'not a JWT'],
    ],
    [
      'IdP ID with a space',
      { HUAWEICLOUD_SDK_IDP_ID: 'my idp' },
      withToken,
      ['HUAWEICLOUD_SDK_IDP_ID'],
    ],
    [
      'IAM endpoint not a URL',
      { HUAWEICLOUD_IAM_ENDPOINT: 'iam.myhuaweicloud.com' },
      withToken,
      ['HUAWEICLOUD_IAM_ENDPOINT'],
    ],
  ])('%s', (_case, overrides, files, expected) => {
    const error = configErrorOf(() => load(overrides, files));
    for (const text of expected) expect(error.message).toContain(text);
    expect(error.message).not.toContain('SECRET');
    expect(error.message).not.toMatch(/[\r\n]/);
  });
});

describe('keyless configuration accepted', () => {
  it('the credentials: IAM endpoint, IdP, project, and an ID token read from the file', async () => {
    const credentials = keylessCredentials(withToken);
    expect(credentials).toMatchObject({
      kind: 'workloadIdentity',
      iamEndpoint: 'https://iam.cn-north-4.myhuaweicloud.com',
      idpId: 'cce-cluster-oidc',
      projectId: PROJECT,
    });
    await expect(credentials.idToken()).resolves.toBe(ID_TOKEN);
  });

  it('the IdP ID may come from HUAWEICLOUD_SDK_IDP_ID_FILE', () => {
    const credentials = keylessCredentials(
      { ...withToken, '/idp': 'from-file\n' },
      { HUAWEICLOUD_SDK_IDP_ID: undefined, HUAWEICLOUD_SDK_IDP_ID_FILE: '/idp' },
    );
    expect(credentials.idpId).toBe('from-file');
  });

  it('the file is read afresh for each exchange: a rotated token is used, a vanished file is a clear error', async () => {
    const files: Record<string, string> = { ...withToken };
    const credentials = keylessCredentials(files);
    files[TOKEN_PATH] = 'rotated.by.kubelet';
    await expect(credentials.idToken()).resolves.toBe('rotated.by.kubelet');
    files[TOKEN_PATH] = '';
    await expect(credentials.idToken()).rejects.toThrow(
      /HUAWEICLOUD_SDK_ID_TOKEN_FILE: file ".*" is empty/,
    );
    delete files[TOKEN_PATH];
    const error = await credentials.idToken().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(`cannot read "${TOKEN_PATH}" (ENOENT)`);
  });

  it('describeConfig shows the IdP and project, never the token', () => {
    const summary = describeConfig(load({}, withToken));
    expect(summary).toMatchObject({
      apig: {
        credentials: {
          kind: 'workloadIdentity',
          idpId: 'cce-cluster-oidc',
          projectId: PROJECT,
          idToken: '[set]',
        },
      },
    });
    expect(JSON.stringify(summary)).not.toContain('SECRET');
  });
});
