// Shared inputs for the certificate check tests: real certificates and keys
// from the factory (RSA, ECDSA, CA chains) and from node-certificates.ts
// (SM2, P-521, Ed25519, secp256k1), all dated around a fixed clock.
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { createCA, encryptPrivateKey, issueCertificate } from '../../support/certs.ts';
import { tlsSecretData } from '../../support/certs.ts';
import type { IssuedCertificate } from '../../support/certs.ts';
import type {
  CertificateInputError,
  SecretInput,
  ValidatedCertificate,
  ValidationResult,
} from '../../../src/certs/index.ts';
import { keyPem, nodeCertificate, nodeKeyPair } from './node-certificates.ts';

/** The clock of every test; certificates are valid from NOT_BEFORE to NOT_AFTER. */
export const NOW = new Date('2026-06-01T00:00:00Z');
export const NOT_BEFORE = new Date('2026-01-01T00:00:00Z');
export const NOT_AFTER = new Date('2026-12-31T00:00:00Z');
const DATES = { notBefore: NOT_BEFORE, notAfter: NOT_AFTER };

export interface Pair {
  readonly chainPem: string;
  readonly keyPem: string;
}

export interface Fixtures {
  readonly ec256: IssuedCertificate;
  readonly ec384: IssuedCertificate;
  readonly rsa2048: IssuedCertificate;
  readonly rsa4096: IssuedCertificate;
  readonly ec521: Pair;
  /** Leaf then a root CA without basicConstraints. */
  readonly underRootWithoutBasicConstraints: Pair;
  /** Leaf <- intermediate <- root; chainPem has the leaf and the intermediate. */
  readonly oneIntermediate: IssuedCertificate;
  readonly twoIntermediates: IssuedCertificate;
  readonly rootPem: string;
  /** An intermediate named like oneIntermediate's, under another root with another key. */
  readonly impostorIntermediatePem: string;
  readonly expiredIntermediate: IssuedCertificate;
  readonly otherEcKeyPem: string;
  readonly otherRsaKeyPem: string;
  readonly expired: IssuedCertificate;
  readonly notYetValid: IssuedCertificate;
  readonly noSan: IssuedCertificate;
  readonly after2038: IssuedCertificate;
  readonly at2038Limit: IssuedCertificate;
  readonly temporaryByIssuer: IssuedCertificate;
  readonly temporaryBySubjectSerial: IssuedCertificate;
  readonly temporaryBySerial: IssuedCertificate;
  /** SM2 encryption pair (leaf then its SM2 root) and signing pair. */
  readonly sm2Encryption: Pair;
  readonly sm2Signing: Pair;
  readonly sm2KeySec1Pem: string;
  readonly ed25519KeyPem: string;
  readonly secp256k1KeyPem: string;
  readonly encryptedPkcs8KeyPem: string;
  readonly encryptedLegacyKeyPem: string;
  readonly rsaPkcs1KeyPem: string;
  readonly ecSec1KeyPem: string;
}

export async function buildFixtures(): Promise<Fixtures> {
  // EC keys are cheap: every certificate gets its own, so every signature check is real.
  const ec = { key: { kind: 'EC' as const }, ...DATES };

  const root = await createCA({ ...ec, notAfter: new Date('2030-01-01T00:00:00Z') });
  const intermediate = await root.intermediate({
    ...ec,
    notAfter: new Date('2029-01-01T00:00:00Z'),
  });
  const oneIntermediate = await intermediate.issue({ commonName: 'chain1.example.com', ...ec });
  const second = await intermediate.intermediate({ ...ec, commonName: 'Second Intermediate CA' });
  const twoIntermediates = await second.issue({ commonName: 'chain2.example.com', ...ec });
  const otherRoot = await createCA({ key: { kind: 'EC' }, commonName: 'Other Root CA' });
  const impostor = await otherRoot.intermediate({ key: { kind: 'EC' } });
  const shortIntermediate = await root.intermediate({
    ...ec,
    commonName: 'Short Intermediate CA',
    notAfter: new Date('2026-03-01T00:00:00Z'),
  });

  const rsa2048 = await issueCertificate({ key: { kind: 'RSA' }, ...DATES });
  const sm2Root = nodeCertificate({
    keys: nodeKeyPair({ kind: 'SM2' }),
    commonName: 'SM2 Root CA',
    dnsNames: [],
    isCA: true,
    ...DATES,
  });
  const sm2EncryptionLeaf = nodeCertificate({
    keys: nodeKeyPair({ kind: 'SM2' }),
    commonName: 'sm2.example.com',
    issuer: sm2Root,
    ...DATES,
  });
  const sm2SigningLeaf = nodeCertificate({
    keys: nodeKeyPair({ kind: 'SM2' }),
    commonName: 'sm2.example.com',
    issuer: sm2Root,
    ...DATES,
  });
  const p521 = nodeCertificate({
    keys: nodeKeyPair({ kind: 'EC', curve: 'P-521' }),
    commonName: 'p521.example.com',
    ...DATES,
  });
  const oldRoot = nodeCertificate({
    keys: nodeKeyPair({ kind: 'EC', curve: 'P-256' }),
    commonName: 'Old Root CA',
    dnsNames: [],
    withoutBasicConstraints: true,
    ...DATES,
  });
  const underOldRoot = nodeCertificate({
    keys: nodeKeyPair({ kind: 'EC', curve: 'P-256' }),
    commonName: 'legacy.example.com',
    issuer: oldRoot,
    ...DATES,
  });
  const temporaryCA = await createCA({ key: { kind: 'EC' }, commonName: 'cert-manager.local' });

  return {
    ec256: await issueCertificate({
      key: { kind: 'EC' },
      dnsNames: ['app.example.com', 'www.example.com'],
      ...DATES,
    }),
    ec384: await issueCertificate({ key: { kind: 'EC', curve: 'P-384' }, ...DATES }),
    rsa2048,
    rsa4096: await issueCertificate({ key: { kind: 'RSA', bits: 4096 }, ...DATES }),
    ec521: { chainPem: p521.pem, keyPem: keyPem(p521.keys) },
    underRootWithoutBasicConstraints: {
      chainPem: underOldRoot.pem + oldRoot.pem,
      keyPem: keyPem(underOldRoot.keys),
    },
    oneIntermediate,
    twoIntermediates,
    rootPem: root.certPem,
    impostorIntermediatePem: impostor.certPem,
    expiredIntermediate: await shortIntermediate.issue({ ...ec, commonName: 'short.example.com' }),
    otherEcKeyPem: (await issueCertificate({ key: { kind: 'EC' } })).keyPem,
    otherRsaKeyPem: generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString(),
    expired: await issueCertificate({
      ...ec,
      notBefore: new Date('2025-01-01T00:00:00Z'),
      notAfter: new Date('2025-04-01T00:00:00Z'),
    }),
    notYetValid: await issueCertificate({
      ...ec,
      notBefore: new Date('2026-07-01T00:00:00Z'),
      notAfter: new Date('2026-10-01T00:00:00Z'),
    }),
    noSan: await issueCertificate({ ...ec, dnsNames: [] }),
    after2038: await issueCertificate({ ...ec, notAfter: new Date('2040-01-01T00:00:00Z') }),
    at2038Limit: await issueCertificate({ ...ec, notAfter: new Date('2038-01-19T03:14:07Z') }),
    temporaryByIssuer: await temporaryCA.issue(ec),
    temporaryBySubjectSerial: await issueCertificate({
      ...ec,
      subject: 'CN=app.example.com, 2.5.4.5=1234567890',
    }),
    temporaryBySerial: await issueCertificate({ ...ec, serialNumber: '1234567890' }),
    sm2Encryption: {
      chainPem: sm2EncryptionLeaf.pem + sm2Root.pem,
      keyPem: keyPem(sm2EncryptionLeaf.keys),
    },
    sm2Signing: { chainPem: sm2SigningLeaf.pem, keyPem: keyPem(sm2SigningLeaf.keys) },
    sm2KeySec1Pem: keyPem(sm2EncryptionLeaf.keys, 'sec1'),
    ed25519KeyPem: keyPem(nodeKeyPair({ kind: 'Ed25519' })),
    secp256k1KeyPem: keyPem(nodeKeyPair({ kind: 'EC', curve: 'secp256k1' })),
    encryptedPkcs8KeyPem: encryptPrivateKey(rsa2048.keyPem, 'correct horse'),
    encryptedLegacyKeyPem: createPrivateKey(rsa2048.keyPem)
      .export({ type: 'pkcs1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'correct horse' })
      .toString(),
    rsaPkcs1KeyPem: createPrivateKey(rsa2048.keyPem)
      .export({ type: 'pkcs1', format: 'pem' })
      .toString(),
    ecSec1KeyPem: createPrivateKey(oneIntermediate.keyPem)
      .export({ type: 'sec1', format: 'pem' })
      .toString(),
  };
}

export const base64 = (value: string | Buffer): string => Buffer.from(value).toString('base64');

/** A kubernetes.io/tls Secret as the API returns it. */
export function tlsSecret(
  crt: string | Buffer,
  key: string | Buffer,
  extra: Partial<SecretInput> = {},
): SecretInput {
  return {
    type: 'kubernetes.io/tls',
    data: tlsSecretData({ chainPem: crt, keyPem: key }),
    ...extra,
  };
}

export function pairSecret(pair: Pair, extra: Partial<SecretInput> = {}): SecretInput {
  return tlsSecret(pair.chainPem, pair.keyPem, extra);
}

export function expectFailure(result: ValidationResult): CertificateInputError {
  if (result.ok) {
    throw new Error(`expected a failure, got a valid certificate for ${result.value.leaf.subject}`);
  }
  return result.error;
}

export function expectSuccess(result: ValidationResult): ValidatedCertificate {
  if (!result.ok) {
    const { reason, field, message } = result.error;
    throw new Error(`expected success, got ${reason} on ${field}: ${message}`);
  }
  return result.value;
}
