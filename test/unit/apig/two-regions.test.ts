// Two simulators are two regions: each its own certificates, credentials and
// IAM. A client pointed at one never reaches the other, and what one region
// issued the other refuses.
import type { ApigSimulator } from '../../support/apig-simulator/index.ts';
import { startApigSimulator } from '../../support/apig-simulator/index.ts';
import { createTestIssuer, serviceAccountClaims } from '../../support/jwt.ts';
import { send } from '../simulator/helpers.ts';
import { clientFor, putValidLeaf, rejectionOf } from './client-fixtures.ts';

const NORTH_PROJECT = '05041fffa40025702f6dc009cc6f8f33';
const SOUTH_PROJECT = '0ab2ef0c3a00d4c52f91c019e8b0a1f2';
const SUBJECT = 'system:serviceaccount:apig-system:apig-cert-operator';
const issuer = createTestIssuer();

let north: ApigSimulator;
let south: ApigSimulator;

beforeEach(async () => {
  // The same cluster registered as an IdP in both regions' IAM, each with its own ID.
  [north, south] = await Promise.all([
    startApigSimulator({
      projects: [NORTH_PROJECT],
      accessKeys: [{ ak: 'NORTHAKNORTHAKNORTH1', sk: 'north-secret-key' }],
      identityProviders: [issuer.provider('north-idp', ['iam'], [SUBJECT])],
    }),
    startApigSimulator({
      projects: [SOUTH_PROJECT],
      accessKeys: [{ ak: 'SOUTHAKSOUTHAKSOUTH1', sk: 'south-secret-key' }],
      identityProviders: [issuer.provider('south-idp', ['iam'], [SUBJECT])],
    }),
  ]);
  for (const sim of [north, south]) sim.seedCertificate({ id: 'shared-id', name: 'same_name' });
});

afterEach(() => Promise.all([north.close(), south.close()]));

function keyless(sim: ApigSimulator, idpId: string) {
  return clientFor(sim, 'token', {
    credentials: {
      kind: 'workloadIdentity',
      iamEndpoint: sim.url,
      idpId,
      projectId: sim.projectId,
      idToken: () =>
        Promise.resolve(
          issuer.sign(serviceAccountClaims(issuer.issuer, SUBJECT, 'iam', Date.now(), 3_600_000)),
        ),
    },
  });
}

it('a keyless client of one region updates only that region, even for the same certificate ID', async () => {
  const client = keyless(north, 'north-idp');
  try {
    await putValidLeaf(client, 'shared-id');
  } finally {
    await client.close();
  }
  expect(north.successfulPuts('shared-id')).toHaveLength(1);
  expect(north.certificate('shared-id')?.commonName).toBe('app.example.com');
  expect(south.requests()).toEqual([]);
  expect(south.certificate('shared-id')?.certContent).toBeUndefined();
});

it("one region's IdP ID and access key mean nothing to the other", async () => {
  const wrongIdp = keyless(south, 'north-idp');
  const wrongKey = clientFor(south, 'aksk', {
    credentials: { kind: 'aksk', accessKey: 'NORTHAKNORTHAKNORTH1', secretKey: 'north-secret-key' },
  });
  try {
    await expect(putValidLeaf(wrongIdp, 'shared-id')).rejects.toMatchObject({
      kind: 'unauthorized',
      errorCode: 'IAM.0004',
    });
    const refused = await rejectionOf(putValidLeaf(wrongKey, 'shared-id'));
    expect(refused).toMatchObject({ kind: 'unauthorized', errorCode: 'APIGW.0301' });
  } finally {
    await Promise.all([wrongIdp.close(), wrongKey.close()]);
  }
  expect(north.requests()).toEqual([]);
  expect(south.successfulPuts()).toEqual([]);
});

it("a token one region's IAM issued is refused by the other region's APIG", async () => {
  const exchanged = await send(north.url, {
    method: 'POST',
    path: '/v3.0/OS-AUTH/id-token/tokens',
    headers: { 'Content-Type': 'application/json', 'X-Idp-Id': 'north-idp' },
    body: JSON.stringify({
      auth: {
        id_token: {
          id: issuer.sign(serviceAccountClaims(issuer.issuer, SUBJECT, 'iam', Date.now(), 600_000)),
        },
        scope: { project: { id: NORTH_PROJECT } },
      },
    }),
  });
  const token = exchanged.headers['x-subject-token'] as string;
  const elsewhere = await send(south.url, {
    path: `/v2/${NORTH_PROJECT}/apigw/certificates/shared-id`,
    headers: { 'X-Auth-Token': token },
  });
  expect(elsewhere.status).toBe(401);
  expect(JSON.parse(elsewhere.text)).toMatchObject({ error_code: 'APIG.1002' });
});
