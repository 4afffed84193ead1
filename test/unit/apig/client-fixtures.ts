// Shared set-up of the client-against-simulator tests.
import { Writable } from 'node:stream';
import type {
  ApigCertificate,
  ApigClient,
  ApigClientOptions,
  ApigCredentials,
} from '../../../src/apig/index.ts';
import { createApigClient } from '../../../src/apig/index.ts';
import { createLogger } from '../../../src/log.ts';
import type { Logger } from '../../../src/log.ts';
import { issueCertificate } from '../../support/certs.ts';
import type { IssuedCertificate } from '../../support/certs.ts';
import { DEFAULT_PROJECT_NAME, startApigSimulator } from '../../support/apig-simulator/index.ts';
import type { ApigSimulator, SimulatorOptions } from '../../support/apig-simulator/index.ts';

export const ACCESS_KEY = 'QTWAOYTTINDUT2QVKYUC';
export const SECRET_KEY = 'MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc';
export const TEMP_ACCESS_KEY = 'TEMPAKTEMPAKTEMPAK01';
export const TEMP_SECRET_KEY = 'tempSkForTheSecurityTokenCase0123456789';
export const SECURITY_TOKEN = 'gQpzZWN1cml0eS10b2tlbi1mb3ItdGVzdHM-very-secret';
export const USER = {
  domain: 'acme-account',
  name: 'cert-operator',
  password: 'Pa55word-that-must-never-leak',
  project: DEFAULT_PROJECT_NAME,
};
export const STATIC_TOKEN = 'MIIStaticTokenValueThatMustNeverLeak0123456789abcdef';

export type AuthModeName = 'aksk' | 'iamPassword' | 'token';
export const AUTH_MODES: AuthModeName[] = ['aksk', 'iamPassword', 'token'];

/** A simulator that accepts the credentials above. */
export function startSimulator(opts: SimulatorOptions = {}): Promise<ApigSimulator> {
  return startApigSimulator({
    accessKeys: [
      { ak: ACCESS_KEY, sk: SECRET_KEY },
      { ak: TEMP_ACCESS_KEY, sk: TEMP_SECRET_KEY, securityToken: SECURITY_TOKEN },
    ],
    users: [USER],
    staticTokens: [STATIC_TOKEN],
    ...opts,
  });
}

export function credentialsFor(mode: AuthModeName, sim: ApigSimulator): ApigCredentials {
  switch (mode) {
    case 'aksk':
      return { kind: 'aksk', accessKey: ACCESS_KEY, secretKey: SECRET_KEY };
    case 'iamPassword':
      return {
        kind: 'iamPassword',
        iamEndpoint: sim.url,
        username: USER.name,
        password: USER.password,
        domainName: USER.domain,
        projectName: USER.project,
      };
    case 'token':
      return { kind: 'token', token: STATIC_TOKEN };
  }
}

/** Log lines captured as text (debug level, so every call is logged). */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

export function clientFor(
  sim: ApigSimulator,
  mode: AuthModeName,
  overrides: Partial<ApigClientOptions> = {},
): ApigClient {
  return createApigClient({
    endpoint: sim.url,
    projectId: sim.projectId,
    credentials: credentialsFor(mode, sim),
    logger: captureLogger().logger,
    rateLimit: { requestsPerSecond: 1000, burst: 100 },
    ...(sim.caPem ? { caPem: sim.caPem } : {}),
    ...overrides,
  });
}

let shared: Promise<IssuedCertificate> | undefined;

/** One valid EC leaf for the whole file (key generation is the slow part). */
export function validLeaf(): Promise<IssuedCertificate> {
  shared ??= issueCertificate({ commonName: 'app.example.com', key: { kind: 'EC' } });
  return shared;
}

export function bodyFor(leaf: IssuedCertificate, name = 'app_example_com') {
  return { name, certContent: leaf.chainPem, privateKey: leaf.keyPem };
}

/** PUTs the shared valid leaf to `certificateId`: the plain call most tests make. */
export async function putValidLeaf(
  client: ApigClient,
  certificateId: string,
  name?: string,
): Promise<ApigCertificate> {
  return client.updateCertificate({ certificateId }, bodyFor(await validLeaf(), name));
}

/**
 * One simulator for the enclosing describe block (or file): started before
 * its tests, handed to `started` (to keep and seed), its faults cleared after
 * each test, closed at the end.
 */
export function shareSimulator(
  started: (sim: ApigSimulator) => void,
  opts: SimulatorOptions = {},
): void {
  let sim: ApigSimulator | undefined;
  beforeAll(async () => {
    sim = await startSimulator(opts);
    started(sim);
  });
  afterEach(() => sim?.clearFaults());
  afterAll(() => sim?.close());
}

/** Rejection of a promise, as a value; fails the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, it succeeded');
}
