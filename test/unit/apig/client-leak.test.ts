// No private key, SK, password or token text in any log line or in anything
// a failing call throws (message, String(), JSON, util.inspect with causes).
import { inspect } from 'node:util';
import type { ApigClient } from '../../../src/apig/index.ts';
import type { ApigSimulator } from '../../support/apig-simulator/index.ts';
import { issueCertificate } from '../../support/certs.ts';
import {
  ACCESS_KEY,
  SECRET_KEY,
  SECURITY_TOKEN,
  STATIC_TOKEN,
  TEMP_ACCESS_KEY,
  TEMP_SECRET_KEY,
  USER,
  bodyFor,
  captureLogger,
  clientFor,
  credentialsFor,
  rejectionOf,
  shareSimulator,
  validLeaf,
} from './client-fixtures.ts';

let sim: ApigSimulator;

shareSimulator((started) => {
  sim = started;
  sim.seedCertificate({ id: 'leak', name: 'leak_cert' });
});

/** The base64 body of a PEM block, a line long enough to be unmistakable. */
function pemBodyLines(pem: string): string[] {
  return pem.split('\n').filter((line) => line.length >= 40 && !line.startsWith('-----'));
}

/** Everything an error can show to a log, an event or a status. */
function renderings(error: unknown): string[] {
  const e = error as Error;
  return [e.message, String(e), JSON.stringify(e), inspect(e, { depth: 8, showHidden: true })];
}

/** IAM tokens (and DER in base64) start with MII: no long run of that anywhere. */
const TOKEN_LIKE = /MII[A-Za-z0-9+/=_-]{40,}/;

type Scenario = {
  name: string;
  run: (leaf: Awaited<ReturnType<typeof validLeaf>>) => {
    client: ApigClient;
    call: () => Promise<unknown>;
    before?: () => void;
  };
};

describe('secrets never leak from failing calls', () => {
  const lines: string[] = [];
  const errors: unknown[] = [];
  const { logger, lines: captured } = captureLogger();
  let wrongKey: string;

  const scenarios: Scenario[] = [
    {
      name: 'APIG rejects the key (400) under AK/SK',
      run: (leaf) => {
        const client = clientFor(sim, 'aksk', { logger });
        return {
          client,
          call: () =>
            client.updateCertificate(
              { certificateId: 'leak' },
              { ...bodyFor(leaf), privateKey: wrongKey },
            ),
        };
      },
    },
    {
      name: 'a wrong SK (401 twice)',
      run: (leaf) => {
        const client = clientFor(sim, 'aksk', {
          logger,
          credentials: { kind: 'aksk', accessKey: ACCESS_KEY, secretKey: `${SECRET_KEY}x` },
        });
        return {
          client,
          call: () => client.updateCertificate({ certificateId: 'leak' }, bodyFor(leaf)),
        };
      },
    },
    {
      name: 'temporary keys with a 500',
      run: (leaf) => {
        const client = clientFor(sim, 'aksk', {
          logger,
          credentials: {
            kind: 'aksk',
            accessKey: TEMP_ACCESS_KEY,
            secretKey: TEMP_SECRET_KEY,
            securityToken: SECURITY_TOKEN,
          },
        });
        return {
          client,
          before: () => sim.addFault({ fault: { kind: 'serverError' }, times: 1 }),
          call: () => client.updateCertificate({ certificateId: 'leak' }, bodyFor(leaf)),
        };
      },
    },
    {
      name: 'a wrong IAM password',
      run: (leaf) => {
        const base = credentialsFor('iamPassword', sim);
        const client = clientFor(sim, 'iamPassword', {
          logger,
          credentials: { ...base, password: `${USER.password}-old` } as typeof base,
        });
        return {
          client,
          call: () => client.updateCertificate({ certificateId: 'leak' }, bodyFor(leaf)),
        };
      },
    },
    {
      name: 'IAM token refused twice by APIG',
      run: (leaf) => {
        const client = clientFor(sim, 'iamPassword', { logger });
        return {
          client,
          before: () => sim.addFault({ fault: { kind: 'unauthorized' }, times: 2 }),
          call: () => client.updateCertificate({ certificateId: 'leak' }, bodyFor(leaf)),
        };
      },
    },
    {
      name: 'fixed token with a connection reset',
      run: (leaf) => {
        const client = clientFor(sim, 'token', { logger });
        return {
          client,
          before: () => sim.addFault({ fault: { kind: 'reset' }, times: 1 }),
          call: () => client.updateCertificate({ certificateId: 'leak' }, bodyFor(leaf)),
        };
      },
    },
    {
      name: 'fixed token with a malformed answer',
      run: (leaf) => {
        const client = clientFor(sim, 'token', { logger });
        return {
          client,
          before: () => sim.addFault({ fault: { kind: 'malformed' }, times: 1 }),
          call: () => client.updateCertificate({ certificateId: 'leak' }, bodyFor(leaf)),
        };
      },
    },
    {
      name: 'fixed token rejected',
      run: (leaf) => {
        const client = clientFor(sim, 'token', {
          logger,
          credentials: { kind: 'token', token: `${STATIC_TOKEN}-revoked` },
        });
        return {
          client,
          call: () => client.updateCertificate({ certificateId: 'leak' }, bodyFor(leaf)),
        };
      },
    },
  ];

  beforeAll(async () => {
    const leaf = await validLeaf();
    wrongKey = (await issueCertificate({ key: { kind: 'EC' } })).keyPem;
    for (const scenario of scenarios) {
      const { client, call, before } = scenario.run(leaf);
      before?.();
      try {
        errors.push(await rejectionOf(call()));
      } finally {
        sim.clearFaults();
        await client.close();
      }
    }
    lines.push(...captured);
  });

  it('every scenario failed and was logged at debug level', () => {
    expect(errors).toHaveLength(scenarios.length);
    for (const error of errors) expect(error).toBeInstanceOf(Error);
    expect(lines.length).toBeGreaterThanOrEqual(scenarios.length);
    expect(lines.join('')).toContain('"msg":"APIG call"');
  });

  it('no private key, SK, password, security token or static token in logs or errors', async () => {
    const leaf = await validLeaf();
    const secrets = [
      ...pemBodyLines(leaf.keyPem),
      ...pemBodyLines(wrongKey),
      SECRET_KEY,
      TEMP_SECRET_KEY,
      SECURITY_TOKEN,
      USER.password,
      STATIC_TOKEN,
    ];
    const texts = [...lines, ...errors.flatMap(renderings)];
    for (const text of texts) {
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).not.toMatch(TOKEN_LIKE);
      expect(text).not.toContain('SDK-HMAC-SHA256 Access');
      expect(text).not.toContain('PRIVATE KEY');
    }
  });

  it('the error texts still say what went wrong', () => {
    const messages = errors.map((e) => (e as Error).message);
    expect(messages).toEqual([
      expect.stringContaining('APIG.2101'),
      expect.stringContaining('APIGW.0301'),
      expect.stringContaining('APIG.9999'),
      expect.stringContaining('The username or password is wrong.'),
      expect.stringContaining('APIGW.0307'),
      expect.stringContaining('network error'),
      expect.stringContaining('not JSON'),
      expect.stringContaining('APIG.1002'),
    ]);
  });
});
