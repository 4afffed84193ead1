// The benchmark's APIG runs the simulator in a worker thread: what the
// scenarios read from it (PUT records with serials, the request log, console
// edits, restarts on the same port with the seeded certificates) must still
// arrive.
import { BenchApig, decimalSerial, type PutRecord } from '../../../test/bench/apig.ts';
import { issueCertificate, sharedKeyPair, type IssuedCertificate } from '../../support/certs.ts';
import { eventuallyPasses } from '../../support/eventually.ts';
import { send, type SimResponse } from '../simulator/helpers.ts';

let apig: BenchApig;
let leaf: IssuedCertificate;

beforeAll(async () => {
  leaf = await issueCertificate({ keyPair: await sharedKeyPair({ kind: 'EC' }) });
});

beforeEach(async () => {
  apig = new BenchApig();
  await apig.start({ latencyMs: 0 });
  await apig.seed([{ id: 'cert-a', name: 'cert_a' }]);
});

afterEach(() => apig.close());

function put(id = 'cert-a'): Promise<SimResponse> {
  return send(apig.url, {
    method: 'PUT',
    path: `/v2/${apig.projectId}/apigw/certificates/${id}`,
    headers: { 'X-Auth-Token': apig.token, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'cert_a', cert_content: leaf.certPem, private_key: leaf.keyPem }),
  });
}

describe('BenchApig (simulator in a worker thread)', () => {
  it('reports each PUT with the serial APIG then holds, to listeners and putsSince', async () => {
    const heard: PutRecord[] = [];
    const unsubscribe = apig.onPut((record) => heard.push(record));
    const before = Date.now();
    expect((await put()).status).toBe(200);
    expect((await put('no-such-certificate')).status).toBe(404);
    await eventuallyPasses(() => expect(heard).toHaveLength(2));
    unsubscribe();
    expect(heard[0]).toMatchObject({
      certificateId: 'cert-a',
      status: 200,
      applied: true,
      serial: decimalSerial(leaf.serialNumber),
    });
    expect(heard[1]).toMatchObject({ status: 404, applied: false, serial: undefined });
    expect(apig.putsSince(before)).toEqual(heard);
    expect(heard[0]!.at).toBeGreaterThanOrEqual(before);
  });

  it('answers the request log and takes console edits', async () => {
    await put();
    const other = await issueCertificate({ keyPair: await sharedKeyPair({ kind: 'EC' }) });
    await apig.consoleEdit('cert-a', { certContent: other.certPem, privateKey: other.keyPem });
    const log = await apig.requests();
    expect(log.map((entry) => [entry.method, entry.certificateId, entry.status])).toEqual([
      ['PUT', 'cert-a', 200],
    ]);
    // A Date from the worker's realm: not `instanceof` this one's.
    expect(Number.isFinite(log[0]!.time.getTime())).toBe(true);
  });

  it('restarts on the same port with a rate limit and the seeded certificates', async () => {
    const { url } = apig;
    await apig.start({ latencyMs: 0, rateLimitPerSecond: 1 });
    expect(apig.url).toBe(url);
    expect(apig.settings).toEqual({ latencyMs: 0, rateLimitPerSecond: 1 });
    expect((await put()).status).toBe(200);
    expect((await put()).status).toBe(429);
  });

  it('rejects a call the simulator refuses, naming it', async () => {
    await apig.close();
    apig = new BenchApig();
    await expect(apig.requests()).rejects.toThrow(
      'APIG simulator: the APIG simulator is not running',
    );
  });
});
