import { issueCertificate, sharedKeyPair, tlsSecretData } from '../support/certs.ts';
import { validateTlsInputs } from '../../src/certs/index.ts';
import { parseCertificate } from '../../src/certs/certificate.ts';
const keyPair = await sharedKeyPair({ kind: 'EC' });
const certs = [];
for (let i = 0; i < 200; i++) certs.push(await issueCertificate({ commonName: `a${i}.bench.example`, key: { kind: 'EC' }, keyPair }));
const secrets = certs.map((c) => ({ type: 'kubernetes.io/tls', data: tlsSecretData(c) }));
const now = new Date();
function time(label: string, f: (i: number) => void, n = 2000) {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f(i);
  process.stdout.write(`${label}: ${(Number(process.hrtime.bigint() - t) / 1000 / n).toFixed(0)} us\n`);
}
for (let k = 0; k < 3; k++) {
  time('validateTlsInputs', (i) => { const r = validateTlsInputs({ secret: secrets[i % 200]!, now }); if (!r.ok) throw r.error; });
  const ders = certs.map((c) => Buffer.from(c.chainPem.toString().split('\n').filter((l) => !l.startsWith('-----')).join(''), 'base64'));
  time('parseCertificate', (i) => parseCertificate(ders[i % 200]!));
}
import { X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
const ders2 = certs.map((c) => Buffer.from(c.chainPem.toString().split('\n').filter((l) => !l.startsWith('-----')).join(''), 'base64'));
for (let k = 0; k < 2; k++) {
  time('node X509Certificate', (i) => new X509Certificate(ders2[i % 200]!));
  time('AsnConvert Certificate', (i) => AsnConvert.parse(ders2[i % 200]!, Certificate));
  time('X509 fingerprint256+subject', (i) => { const x = new X509Certificate(ders2[i % 200]!); x.fingerprint256; x.subject; x.subjectAltName; x.validToDate; x.serialNumber; x.ca; });
}
import { Name, TBSCertificate } from '@peculiar/asn1-x509';
import { fromBER } from 'asn1js';
const one = ders2[0]!;
const parsed = AsnConvert.parse(one, Certificate);
const nameDer = Buffer.from(AsnConvert.serialize(parsed.tbsCertificate.subject));
for (let k = 0; k < 2; k++) {
  time('asn1js fromBER whole cert', (i) => fromBER(ders2[i % 200]!));
  time('AsnConvert Name', () => AsnConvert.parse(nameDer, Name));
}
process.stdout.write(`${one.length} bytes; name ${nameDer.length}\n`);
