// Certificates for the simulator tests, made once per test file.
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import {
  createCA,
  encryptPrivateKey,
  issueCertificate,
  issueSm2Certificate,
  reverseChain,
  sharedKeyPair,
} from '../../support/certs.ts';
import type { IssuedCertificate, Sm2Certificate } from '../../support/certs.ts';

export interface Fixtures {
  /** EC leaf through an intermediate: chainPem has two certificates. */
  chained: IssuedCertificate;
  rootPem: string;
  rsa: IssuedCertificate;
  otherRsa: IssuedCertificate;
  ec: IssuedCertificate;
  otherEc: IssuedCertificate;
  expired: IssuedCertificate;
  noSan: IssuedCertificate;
  lastSecond2038: IssuedCertificate;
  after2038: IssuedCertificate;
  detailed: IssuedCertificate;
  /** chained's chain with the intermediate first. */
  reversedChain: string;
  /** RSA key as "ENCRYPTED PRIVATE KEY" and as traditional PEM with Proc-Type: 4,ENCRYPTED. */
  encryptedPkcs8: string;
  encryptedPkcs1: string;
  rsaPkcs1Key: string;
  ecSec1Key: string;
  ed25519Key: string;
  /** SM2 encryption and signing pairs. */
  sm2: Sm2Certificate;
  sm2Sign: Sm2Certificate;
}

export async function makeFixtures(): Promise<Fixtures> {
  const ecKey = await sharedKeyPair({ kind: 'EC' });
  const root = await createCA({ key: { kind: 'EC' } });
  const intermediate = await root.intermediate({ key: { kind: 'EC' } });
  const chained = await intermediate.issue({ commonName: 'api.example.com', key: { kind: 'EC' } });
  const rsa = await issueCertificate({ commonName: 'rsa.example.com' });
  const now = Date.now();
  const fixtures: Fixtures = {
    chained,
    rootPem: root.certPem,
    rsa,
    otherRsa: await issueCertificate({ commonName: 'rsa.example.com' }),
    ec: await issueCertificate({
      commonName: 'ec.example.com',
      key: { kind: 'EC', curve: 'P-384' },
    }),
    otherEc: await issueCertificate({
      commonName: 'ec.example.com',
      key: { kind: 'EC', curve: 'P-384' },
    }),
    expired: await issueCertificate({
      keyPair: ecKey,
      notBefore: new Date(now - 90 * 86_400_000),
      notAfter: new Date(now - 60_000),
    }),
    noSan: await issueCertificate({ keyPair: ecKey, dnsNames: [] }),
    lastSecond2038: await issueCertificate({
      keyPair: ecKey,
      notAfter: new Date('2038-01-19T03:14:07Z'),
    }),
    after2038: await issueCertificate({
      keyPair: ecKey,
      notAfter: new Date('2038-01-19T03:14:08Z'),
    }),
    detailed: await root.issue({
      subject: 'CN=shop.example.com, OU=Platform, O=Example Corp, L=Shenzhen, ST=Guangdong, C=CN',
      dnsNames: ['shop.example.com', 'www.shop.example.com'],
      ipAddresses: ['192.0.2.10'],
      serialNumber: '32d2',
      keyPair: ecKey,
    }),
    reversedChain: reverseChain(chained.chainPem),
    encryptedPkcs8: encryptPrivateKey(rsa.keyPem, 'secret'),
    encryptedPkcs1: createPrivateKey(rsa.keyPem)
      .export({ type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' })
      .toString(),
    rsaPkcs1Key: createPrivateKey(rsa.keyPem).export({ type: 'pkcs1', format: 'pem' }).toString(),
    ecSec1Key: '',
    ed25519Key: generateKeyPairSync('ed25519')
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString(),
    sm2: issueSm2Certificate({ commonName: 'sm2.example.com' }),
    sm2Sign: issueSm2Certificate({ commonName: 'sm2.example.com' }),
  };
  fixtures.ecSec1Key = createPrivateKey(fixtures.ec.keyPem)
    .export({ type: 'sec1', format: 'pem' })
    .toString();
  return fixtures;
}
