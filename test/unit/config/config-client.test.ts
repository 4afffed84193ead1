// The configuration drives the real APIG client against the simulator over
// HTTPS with a private CA: proof that loadConfig produces what
// createApigClient needs, for each way to authenticate.
import { Writable } from 'node:stream';
import { createApigClient } from '../../../src/apig/index.ts';
import { apigClientOptions, loadConfig } from '../../../src/config/index.ts';
import { createLogger } from '../../../src/log.ts';
import { DEFAULT_PROJECT_NAME, startApigSimulator } from '../../support/apig-simulator/index.ts';
import type { ApigSimulator } from '../../support/apig-simulator/index.ts';
import { putValidLeaf } from '../apig/client-fixtures.ts';
import { fakeFiles } from './fake-files.ts';

const AK = 'CONFIGTESTACCESSKEY1';
const SK = 'config-test-SECRET-key-0123456789';
const USER = {
  domain: 'acme-account',
  name: 'cert-operator',
  password: 'config-test-SECRET-password',
  project: DEFAULT_PROJECT_NAME,
};
const TOKEN = 'config-test-SECRET-static-token';

let simulator: ApigSimulator;

beforeAll(async () => {
  simulator = await startApigSimulator({
    tls: true,
    accessKeys: [{ ak: AK, sk: SK }],
    users: [USER],
    staticTokens: [TOKEN],
  });
});

afterAll(() => simulator.close());

function credentialEnv(mode: 'aksk' | 'iamPassword' | 'token'): NodeJS.ProcessEnv {
  switch (mode) {
    case 'aksk':
      return { HUAWEICLOUD_SDK_AK: AK, HUAWEICLOUD_SDK_SK_FILE: '/secrets/sk' };
    case 'iamPassword':
      return {
        HUAWEICLOUD_IAM_ENDPOINT: simulator.url,
        HUAWEICLOUD_USERNAME: USER.name,
        HUAWEICLOUD_PASSWORD_FILE: '/secrets/password',
        HUAWEICLOUD_DOMAIN_NAME: USER.domain,
        HUAWEICLOUD_PROJECT_NAME: USER.project,
      };
    case 'token':
      return { APIG_AUTH_TOKEN_FILE: '/secrets/token' };
  }
}

it.each(['aksk', 'iamPassword', 'token'] as const)(
  '%s credentials from mounted files reach APIG through the private CA',
  async (mode) => {
    const config = loadConfig(
      {
        APIG_ENDPOINT: simulator.url,
        APIG_SERVICE: 'roma',
        HUAWEICLOUD_SDK_PROJECT_ID: simulator.projectId,
        APIG_CA_FILE: '/etc/apig/ca.pem',
        APIG_TIMEOUT: '10s',
        ...credentialEnv(mode),
      },
      fakeFiles({
        '/etc/apig/ca.pem': simulator.caPem ?? '',
        '/secrets/sk': `${SK}\n`,
        '/secrets/password': `${USER.password}\n`,
        '/secrets/token': `${TOKEN}\n`,
      }),
    );
    const logged: string[] = [];
    const logger = createLogger({
      level: 'debug',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          logged.push(chunk.toString());
          done();
        },
      }),
    });
    const client = createApigClient(apigClientOptions(config, logger));
    try {
      expect(client.service).toBe('roma');
      expect(client.authMode).toBe(mode);
      simulator.seedCertificate({ id: `config-${mode}`, name: 'config_cert' });
      await expect(putValidLeaf(client, `config-${mode}`)).resolves.toMatchObject({
        id: `config-${mode}`,
      });
      const romaCalls = simulator
        .requests()
        .filter((r) => r.service === 'apic' && r.status === 200);
      expect(romaCalls.length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
    expect(logged.join('')).not.toContain('SECRET');
  },
);
