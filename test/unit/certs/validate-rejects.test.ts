// Every bad input gives its own reason and field, and a message that quotes
// no key material.
import { randomBytes } from 'node:crypto';
import { reverseChain, splitPem } from '../../support/certs.ts';
import {
  CERTIFICATE_INPUT_REASONS,
  CertificateInputError,
  TEMPORARY_CERTIFICATE_ANNOTATION,
  validateTlsInputs,
} from '../../../src/certs/index.ts';
import type {
  CertificateInputReason,
  InputField,
  SecretInput,
  TlsInputs,
} from '../../../src/certs/index.ts';
import { NOW, base64, buildFixtures, expectFailure, pairSecret, tlsSecret } from './fixtures.ts';
import type { Fixtures, Pair } from './fixtures.ts';

let f: Fixtures;
beforeAll(async () => {
  f = await buildFixtures();
}, 120_000);

const inputs = (secret: SecretInput, more: Partial<TlsInputs> = {}): TlsInputs => ({
  secret,
  now: NOW,
  ...more,
});

/** A PEM block with a valid base64 body that is not DER of anything. */
const garbageBlock = (label: string): string =>
  `-----BEGIN ${label}-----\n${randomBytes(96).toString('base64')}\n-----END ${label}-----\n`;

type Case = [
  name: string,
  build: () => TlsInputs,
  reason: CertificateInputReason,
  field: InputField,
];

const cases: Case[] = [
  // The Secret itself.
  [
    'Opaque Secret',
    () => inputs(pairSecret(f.ec256, { type: 'Opaque' })),
    'SecretTypeInvalid',
    'type',
  ],
  [
    'Secret without a type',
    () => inputs({ data: pairSecret(f.ec256).data }),
    'SecretTypeInvalid',
    'type',
  ],
  [
    'no tls.crt',
    () => inputs({ type: 'kubernetes.io/tls', data: { 'tls.key': base64(f.ec256.keyPem) } }),
    'SecretDataMissing',
    'tls.crt',
  ],
  ['empty tls.key', () => inputs(tlsSecret(f.ec256.chainPem, '')), 'SecretDataMissing', 'tls.key'],
  [
    'Secret without data',
    () => inputs({ type: 'kubernetes.io/tls' }),
    'SecretDataMissing',
    'tls.crt',
  ],
  [
    'tls.crt not base64 (already decoded PEM)',
    () =>
      inputs({
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': f.ec256.chainPem, 'tls.key': base64(f.ec256.keyPem) },
      }),
    'SecretDataInvalid',
    'tls.crt',
  ],
  // tls.crt is not PEM.
  [
    'tls.crt binary garbage',
    () => inputs(tlsSecret(randomBytes(512), f.ec256.keyPem)),
    'CertificateNotPEM',
    'tls.crt',
  ],
  [
    'tls.crt DER',
    () => inputs(tlsSecret(Buffer.from(f.ec256.cert.rawData), f.ec256.keyPem)),
    'CertificateNotPEM',
    'tls.crt',
  ],
  [
    'tls.crt plain text',
    () => inputs(tlsSecret('hello, world\n', f.ec256.keyPem)),
    'CertificateNotPEM',
    'tls.crt',
  ],
  [
    'tls.crt only whitespace',
    () => inputs(tlsSecret(' \n\n\t\n', f.ec256.keyPem)),
    'CertificateNotPEM',
    'tls.crt',
  ],
  [
    'tls.crt with trailing junk',
    () => inputs(tlsSecret(`${f.ec256.chainPem}garbage after the certificate\n`, f.ec256.keyPem)),
    'CertificateNotPEM',
    'tls.crt',
  ],
  [
    'tls.crt with text before the block (openssl "subject=" header)',
    () => inputs(tlsSecret(`subject=CN = app.example.com\n${f.ec256.chainPem}`, f.ec256.keyPem)),
    'CertificateNotPEM',
    'tls.crt',
  ],
  [
    'tls.crt truncated (no END line)',
    () => inputs(tlsSecret(f.ec256.certPem.split('-----END')[0]!, f.ec256.keyPem)),
    'CertificateNotPEM',
    'tls.crt',
  ],
  [
    'tls.crt with a corrupted base64 body',
    () => inputs(tlsSecret(f.ec256.certPem.replace(/\n(.)/, '\n!$1'), f.ec256.keyPem)),
    'CertificateNotPEM',
    'tls.crt',
  ],
  [
    'tls.crt holding only the private key',
    () => inputs(tlsSecret(f.ec256.keyPem, f.ec256.keyPem)),
    'CertificateMissing',
    'tls.crt',
  ],
  [
    'tls.crt holding certificate and key (combined PEM)',
    () => inputs(tlsSecret(f.ec256.chainPem + f.ec256.keyPem, f.ec256.keyPem)),
    'UnexpectedPEMBlock',
    'tls.crt',
  ],
  [
    'tls.crt CERTIFICATE block that is not X.509',
    () => inputs(tlsSecret(garbageBlock('CERTIFICATE'), f.ec256.keyPem)),
    'CertificateInvalid',
    'tls.crt',
  ],
  // tls.key.
  [
    'tls.key binary garbage',
    () => inputs(tlsSecret(f.ec256.chainPem, randomBytes(300))),
    'PrivateKeyNotPEM',
    'tls.key',
  ],
  [
    'tls.key with trailing junk',
    () => inputs(tlsSecret(f.ec256.chainPem, `${f.ec256.keyPem}junk`)),
    'PrivateKeyNotPEM',
    'tls.key',
  ],
  [
    'tls.key holding the certificate',
    () => inputs(tlsSecret(f.ec256.chainPem, f.ec256.certPem)),
    'PrivateKeyMissing',
    'tls.key',
  ],
  [
    'tls.key holding two keys',
    () => inputs(tlsSecret(f.ec256.chainPem, f.ec256.keyPem + f.otherEcKeyPem)),
    'UnexpectedPEMBlock',
    'tls.key',
  ],
  [
    'tls.key holding key and certificate',
    () => inputs(tlsSecret(f.ec256.chainPem, f.ec256.keyPem + f.ec256.certPem)),
    'UnexpectedPEMBlock',
    'tls.key',
  ],
  [
    'PKCS#8 ENCRYPTED PRIVATE KEY',
    () => inputs(tlsSecret(f.rsa2048.chainPem, f.encryptedPkcs8KeyPem)),
    'PrivateKeyEncrypted',
    'tls.key',
  ],
  [
    'legacy Proc-Type: 4,ENCRYPTED key',
    () => inputs(tlsSecret(f.rsa2048.chainPem, f.encryptedLegacyKeyPem)),
    'PrivateKeyEncrypted',
    'tls.key',
  ],
  [
    'PRIVATE KEY block that is not a key',
    () => inputs(tlsSecret(f.ec256.chainPem, garbageBlock('PRIVATE KEY'))),
    'PrivateKeyInvalid',
    'tls.key',
  ],
  [
    'OpenSSH private key',
    () => inputs(tlsSecret(f.ec256.chainPem, garbageBlock('OPENSSH PRIVATE KEY'))),
    'PrivateKeyInvalid',
    'tls.key',
  ],
  [
    'Ed25519 key',
    () => inputs(tlsSecret(f.ec256.chainPem, f.ed25519KeyPem)),
    'KeyAlgorithmUnsupported',
    'tls.key',
  ],
  [
    'EC key on secp256k1',
    () => inputs(tlsSecret(f.ec256.chainPem, f.secp256k1KeyPem)),
    'KeyAlgorithmUnsupported',
    'tls.key',
  ],
  // cert-manager's temporary certificate.
  [
    'Secret annotated issue-temporary-certificate',
    () =>
      inputs(pairSecret(f.ec256, { annotations: { [TEMPORARY_CERTIFICATE_ANNOTATION]: 'true' } })),
    'TemporaryCertificate',
    'metadata.annotations',
  ],
  [
    'certificate issued by CN=cert-manager.local',
    () => inputs(pairSecret(f.temporaryByIssuer)),
    'TemporaryCertificate',
    'tls.crt',
  ],
  [
    'certificate with subject serialNumber 1234567890',
    () => inputs(pairSecret(f.temporaryBySubjectSerial)),
    'TemporaryCertificate',
    'tls.crt',
  ],
  [
    'certificate with serial 0x1234567890 (cert-manager < 1.0)',
    () => inputs(pairSecret(f.temporaryBySerial)),
    'TemporaryCertificate',
    'tls.crt',
  ],
  // Chain.
  [
    'two leaf certificates',
    () => inputs(tlsSecret(f.ec256.certPem + f.oneIntermediate.certPem, f.ec256.keyPem)),
    'MultipleLeafCertificates',
    'tls.crt',
  ],
  [
    'chain reversed (intermediate first)',
    () => inputs(tlsSecret(reverseChain(f.oneIntermediate.chainPem), f.oneIntermediate.keyPem)),
    'ChainOutOfOrder',
    'tls.crt',
  ],
  [
    'chain missing its first intermediate',
    () => {
      const [leaf, , second] = splitPem(f.twoIntermediates.chainPem);
      return inputs(tlsSecret(leaf! + second!, f.twoIntermediates.keyPem));
    },
    'ChainOutOfOrder',
    'tls.crt',
  ],
  [
    'intermediates swapped',
    () => {
      const [leaf, first, second] = splitPem(f.twoIntermediates.chainPem);
      return inputs(tlsSecret(leaf! + second! + first!, f.twoIntermediates.keyPem));
    },
    'ChainOutOfOrder',
    'tls.crt',
  ],
  [
    'intermediate with the right name but another key',
    () =>
      inputs(
        tlsSecret(f.oneIntermediate.certPem + f.impostorIntermediatePem, f.oneIntermediate.keyPem),
      ),
    'ChainSignatureInvalid',
    'tls.crt',
  ],
  // Key and certificate.
  [
    'ECDSA key of another certificate',
    () => inputs(tlsSecret(f.ec256.chainPem, f.otherEcKeyPem)),
    'KeyMismatch',
    'tls.key',
  ],
  [
    'RSA key of another certificate',
    () => inputs(tlsSecret(f.rsa2048.chainPem, f.otherRsaKeyPem)),
    'KeyMismatch',
    'tls.key',
  ],
  [
    'RSA key for an ECDSA certificate',
    () => inputs(tlsSecret(f.ec256.chainPem, f.rsa2048.keyPem)),
    'KeyMismatch',
    'tls.key',
  ],
  [
    'key of the intermediate',
    () => inputs(tlsSecret(f.oneIntermediate.chainPem, f.ec384.keyPem)),
    'KeyMismatch',
    'tls.key',
  ],
  // Dates and SAN.
  ['expired certificate', () => inputs(pairSecret(f.expired)), 'CertificateExpired', 'tls.crt'],
  [
    'expired intermediate',
    () => inputs(pairSecret(f.expiredIntermediate)),
    'CertificateExpired',
    'tls.crt',
  ],
  ['not yet valid', () => inputs(pairSecret(f.notYetValid)), 'CertificateNotYetValid', 'tls.crt'],
  [
    'valid after 2038-01-19T03:14:07Z',
    () => inputs(pairSecret(f.after2038)),
    'ExpiresAfter2038',
    'tls.crt',
  ],
  ['no subjectAltName', () => inputs(pairSecret(f.noSan)), 'NoSubjectAltName', 'tls.crt'],
  // Spec.
  [
    'algorithmType not RSA/ECC/SM2',
    () => inputs(pairSecret(f.ec256), { algorithmType: 'DSA' }),
    'AlgorithmTypeInvalid',
    'spec.algorithmType',
  ],
  [
    'algorithmType ECC with an RSA key',
    () => inputs(pairSecret(f.rsa2048), { algorithmType: 'ECC' }),
    'AlgorithmMismatch',
    'spec.algorithmType',
  ],
  [
    'algorithmType RSA with an ECDSA key',
    () => inputs(pairSecret(f.ec256), { algorithmType: 'RSA' }),
    'AlgorithmMismatch',
    'spec.algorithmType',
  ],
  [
    'algorithmType ECC with an SM2 key',
    () =>
      inputs(pairSecret(f.sm2Encryption), {
        algorithmType: 'ECC',
        signSecret: pairSecret(f.sm2Signing),
      }),
    'AlgorithmMismatch',
    'spec.algorithmType',
  ],
  [
    'algorithmType SM2 with an ECDSA key',
    () =>
      inputs(pairSecret(f.ec256), { algorithmType: 'SM2', signSecret: pairSecret(f.sm2Signing) }),
    'AlgorithmMismatch',
    'spec.algorithmType',
  ],
  // SM2 signing pair.
  [
    'SM2 without its signing pair',
    () => inputs(pairSecret(f.sm2Encryption)),
    'SignPairMissing',
    'spec.signSecretRef',
  ],
  [
    'signing pair for an RSA certificate',
    () => inputs(pairSecret(f.rsa2048), { signSecret: pairSecret(f.sm2Signing) }),
    'SignPairUnexpected',
    'spec.signSecretRef',
  ],
  [
    'SM2 signing pair that is ECDSA',
    () => inputs(pairSecret(f.sm2Encryption), { signSecret: pairSecret(f.ec256) }),
    'AlgorithmMismatch',
    'signSecret.tls.key',
  ],
  [
    'SM2 signing Secret of type Opaque',
    () =>
      inputs(pairSecret(f.sm2Encryption), {
        signSecret: pairSecret(f.sm2Signing, { type: 'Opaque' }),
      }),
    'SecretTypeInvalid',
    'signSecret.type',
  ],
  [
    'SM2 signing pair with the encryption key',
    () =>
      inputs(pairSecret(f.sm2Encryption), {
        signSecret: tlsSecret(f.sm2Signing.chainPem, f.sm2Encryption.keyPem),
      }),
    'KeyMismatch',
    'signSecret.tls.key',
  ],
  [
    'SM2 signing key encrypted',
    () =>
      inputs(pairSecret(f.sm2Encryption), {
        signSecret: tlsSecret(f.sm2Signing.chainPem, f.encryptedPkcs8KeyPem),
      }),
    'PrivateKeyEncrypted',
    'signSecret.tls.key',
  ],
  // Trusted root CA.
  [
    'trusted root CA not PEM',
    () => inputs(pairSecret(f.ec256), { trustedRootCA: 'not a certificate' }),
    'TrustedRootCAInvalid',
    'spec.trustedRootCA',
  ],
  [
    'trusted root CA empty',
    () => inputs(pairSecret(f.ec256), { trustedRootCA: '' }),
    'TrustedRootCAInvalid',
    'spec.trustedRootCA',
  ],
  [
    'trusted root CA holding a private key',
    () => inputs(pairSecret(f.ec256), { trustedRootCA: f.rootPem + f.ec256.keyPem }),
    'TrustedRootCAInvalid',
    'spec.trustedRootCA',
  ],
  [
    'trusted root CA that is not X.509',
    () => inputs(pairSecret(f.ec256), { trustedRootCA: garbageBlock('CERTIFICATE') }),
    'TrustedRootCAInvalid',
    'spec.trustedRootCA',
  ],
];

/** Every run of 16 base64 characters of every private key anywhere in the inputs. */
function keyFragments(tls: TlsInputs): string[] {
  const texts = [tls.secret, tls.signSecret]
    .flatMap((s) => Object.values(s?.data ?? {}))
    .map((v) => Buffer.from(v, 'base64').toString('latin1'))
    .concat(tls.trustedRootCA ?? []);
  const fragments: string[] = [];
  for (const text of texts) {
    for (const block of text.match(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END/g) ?? []) {
      const body = block
        .split('\n')
        .filter((l) => !l.startsWith('-----') && !l.includes(':'))
        .join('')
        .trim();
      const hex = Buffer.from(body, 'base64').toString('hex');
      for (let i = 0; i + 16 <= body.length; i += 8) fragments.push(body.slice(i, i + 16));
      for (let i = 0; i + 16 <= hex.length; i += 8) fragments.push(hex.slice(i, i + 16));
    }
  }
  return fragments;
}

describe('validateTlsInputs rejects', () => {
  it('has at least 25 distinct bad inputs covering every reason', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
    const covered = new Set(cases.map(([, , reason]) => reason));
    expect([...CERTIFICATE_INPUT_REASONS].filter((r) => !covered.has(r))).toEqual([]);
  });

  it.each(cases.map(([name, build, reason, field]) => ({ name, build, reason, field })))(
    '$name: $reason on $field',
    ({ build, reason, field }) => {
      const tls = build();
      const error = expectFailure(validateTlsInputs(tls));
      expect(error).toBeInstanceOf(CertificateInputError);
      expect({ reason: error.reason, field: error.field }).toEqual({ reason, field });
      expect(error.message.length).toBeGreaterThan(20);

      const fragments = keyFragments(tls);
      const rendered = [
        error.message,
        String(error),
        JSON.stringify(error),
        error.stack ?? '',
      ].join('\n');
      expect(rendered).not.toMatch(/PRIVATE KEY-----/);
      expect(fragments.filter((fragment) => rendered.includes(fragment))).toEqual([]);
    },
  );

  it('checks the key-material scan itself: a fragment of a key is found', () => {
    const tls = inputs(pairSecret(f.ec256));
    const fragments = keyFragments(tls);
    expect(fragments.length).toBeGreaterThan(10);
    expect(fragments.some((fragment) => f.ec256.keyPem.replace(/\n/g, '').includes(fragment))).toBe(
      true,
    );
  });

  it.each<[string, () => Pair, string]>([
    ['issuer', () => f.temporaryByIssuer, 'it is issued by CN=cert-manager.local'],
    [
      'subject serialNumber',
      () => f.temporaryBySubjectSerial,
      'its subject serialNumber is 1234567890',
    ],
    ['certificate serial', () => f.temporaryBySerial, 'its serial number is 0x1234567890'],
  ])('recognises the temporary certificate by its %s alone', (_name, pair, why) => {
    const error = expectFailure(validateTlsInputs(inputs(pairSecret(pair()))));
    expect(error.message).toBe(
      `tls.crt holds cert-manager's temporary certificate (${why}); waiting for the issued certificate`,
    );
  });

  it('says when a certificate that is not yet valid becomes valid', () => {
    const error = expectFailure(validateTlsInputs(inputs(pairSecret(f.notYetValid))));
    expect(error.retryAt).toEqual(f.notYetValid.notBefore);
    expect(error.message).toContain(f.notYetValid.notBefore.toISOString());
  });

  it('gives no retry time to failures that need a change', () => {
    const error = expectFailure(validateTlsInputs(inputs(pairSecret(f.expired))));
    expect(error.retryAt).toBeUndefined();
    expect(error.message).toContain('expired at 2025-04-01T00:00:00.000Z');
  });

  it('names the intermediate that expired', () => {
    const error = expectFailure(validateTlsInputs(inputs(pairSecret(f.expiredIntermediate))));
    expect(error.message).toMatch(/certificate #2 of tls\.crt \(CN=Short Intermediate CA/);
  });

  it('tells DER apart from other binary data', () => {
    const der = Buffer.from(f.ec256.cert.rawData);
    const error = expectFailure(validateTlsInputs(inputs(tlsSecret(der, f.ec256.keyPem))));
    expect(error.message).toMatch(/DER/);
  });

  it('names the misplaced block by its label only', () => {
    const error = expectFailure(
      validateTlsInputs(inputs(tlsSecret(f.ec256.keyPem, f.ec256.keyPem))),
    );
    expect(error.message).toBe('tls.crt holds no CERTIFICATE block, only a PRIVATE KEY block');
  });

  it('reports the first failure in a fixed order: the Secret type before its data', () => {
    const error = expectFailure(
      validateTlsInputs(inputs({ type: 'Opaque', data: { 'tls.crt': 'garbage' } })),
    );
    expect(error.reason).toBe('SecretTypeInvalid');
  });
});
