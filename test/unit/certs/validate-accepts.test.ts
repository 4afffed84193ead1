// Valid inputs: every supported key type and chain shape, the summary of the
// leaf, and canonical output bytes whatever the input's formatting.
import { X509Certificate } from 'node:crypto';
import { issueCertificate, splitPem } from '../../support/certs.ts';
import { LATEST_NOT_AFTER, validateTlsInputs } from '../../../src/certs/index.ts';
import type { AlgorithmType } from '../../../src/api/v1alpha1.ts';
import type { TlsInputs } from '../../../src/certs/index.ts';
import {
  NOT_AFTER,
  NOT_BEFORE,
  NOW,
  buildFixtures,
  expectSuccess,
  pairSecret,
  tlsSecret,
} from './fixtures.ts';
import type { Fixtures, Pair } from './fixtures.ts';

let f: Fixtures;
beforeAll(async () => {
  f = await buildFixtures();
}, 120_000);

// What `openssl ecparam -genkey -name prime256v1` writes before the key.
const EC_PARAMETERS_P256 =
  '-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n';

interface Good {
  readonly pair: () => Pair;
  readonly more?: () => Partial<TlsInputs>;
  readonly algorithmType: AlgorithmType;
  readonly keyDescription: string;
  readonly chainLength: number;
  /** The PEM label the private key keeps. */
  readonly keyLabel?: string;
}

const goodCases: [string, Good][] = [
  [
    'RSA 2048',
    { pair: () => f.rsa2048, algorithmType: 'RSA', keyDescription: 'RSA', chainLength: 1 },
  ],
  [
    'RSA 4096',
    { pair: () => f.rsa4096, algorithmType: 'RSA', keyDescription: 'RSA', chainLength: 1 },
  ],
  [
    'ECDSA P-256',
    { pair: () => f.ec256, algorithmType: 'ECC', keyDescription: 'ECC P-256', chainLength: 1 },
  ],
  [
    'ECDSA P-384',
    { pair: () => f.ec384, algorithmType: 'ECC', keyDescription: 'ECC P-384', chainLength: 1 },
  ],
  [
    'ECDSA P-521',
    { pair: () => f.ec521, algorithmType: 'ECC', keyDescription: 'ECC P-521', chainLength: 1 },
  ],
  [
    'CA-issued with one intermediate',
    {
      pair: () => f.oneIntermediate,
      algorithmType: 'ECC',
      keyDescription: 'ECC P-256',
      chainLength: 2,
    },
  ],
  [
    'CA-issued with two intermediates',
    {
      pair: () => f.twoIntermediates,
      algorithmType: 'ECC',
      keyDescription: 'ECC P-256',
      chainLength: 3,
    },
  ],
  [
    'chain that ends with its self-signed root',
    {
      pair: () => ({
        chainPem: f.oneIntermediate.chainPem + f.rootPem,
        keyPem: f.oneIntermediate.keyPem,
      }),
      algorithmType: 'ECC',
      keyDescription: 'ECC P-256',
      chainLength: 3,
    },
  ],
  [
    'chain ending with a root CA without basicConstraints',
    {
      pair: () => f.underRootWithoutBasicConstraints,
      algorithmType: 'ECC',
      keyDescription: 'ECC P-256',
      chainLength: 2,
    },
  ],
  [
    'RSA key as PKCS#1 (RSA PRIVATE KEY)',
    {
      pair: () => ({ chainPem: f.rsa2048.chainPem, keyPem: f.rsaPkcs1KeyPem }),
      algorithmType: 'RSA',
      keyDescription: 'RSA',
      chainLength: 1,
      keyLabel: 'RSA PRIVATE KEY',
    },
  ],
  [
    'EC key as SEC1 (EC PRIVATE KEY)',
    {
      pair: () => ({ chainPem: f.oneIntermediate.chainPem, keyPem: f.ecSec1KeyPem }),
      algorithmType: 'ECC',
      keyDescription: 'ECC P-256',
      chainLength: 2,
      keyLabel: 'EC PRIVATE KEY',
    },
  ],
  [
    'SM2 with its signing pair, detected from the key',
    {
      pair: () => f.sm2Encryption,
      more: () => ({ signSecret: pairSecret(f.sm2Signing) }),
      algorithmType: 'SM2',
      keyDescription: 'SM2',
      chainLength: 2,
    },
  ],
  [
    'SM2 key as SEC1',
    {
      pair: () => ({ chainPem: f.sm2Encryption.chainPem, keyPem: f.sm2KeySec1Pem }),
      more: () => ({ signSecret: pairSecret(f.sm2Signing) }),
      algorithmType: 'SM2',
      keyDescription: 'SM2',
      chainLength: 2,
      keyLabel: 'EC PRIVATE KEY',
    },
  ],
  [
    'certificate valid until exactly 2038-01-19T03:14:07Z',
    {
      pair: () => f.at2038Limit,
      algorithmType: 'ECC',
      keyDescription: 'ECC P-256',
      chainLength: 1,
    },
  ],
];

describe('validateTlsInputs accepts', () => {
  it.each(goodCases)('%s', (_name, good) => {
    const pair = good.pair();
    const value = expectSuccess(
      validateTlsInputs({ secret: pairSecret(pair), now: NOW, ...good.more?.() }),
    );
    expect(value.algorithmType).toBe(good.algorithmType);
    expect(value.algorithmDetected).toBe(true);
    expect(value.keyDescription).toBe(good.keyDescription);
    expect(value.chainLength).toBe(good.chainLength);
    // The inputs are already canonical (64 columns, \n): output is them, trimmed.
    expect(value.payload.certContent).toBe(pair.chainPem.trim());
    expect(value.payload.privateKey).toBe(pair.keyPem.trim());
    expect(value.payload.privateKey.split('\n')[0]).toBe(
      `-----BEGIN ${good.keyLabel ?? 'PRIVATE KEY'}-----`,
    );
    expect(value.payload.algorithmType).toBe(good.algorithmType);
    expect(value.leaf.fingerprintSha256).toBe(
      new X509Certificate(splitPem(pair.chainPem)[0]!).fingerprint256,
    );
  });

  it('sends the SM2 signing pair next to the encryption pair', () => {
    const value = expectSuccess(
      validateTlsInputs({
        secret: pairSecret(f.sm2Encryption),
        signSecret: pairSecret(f.sm2Signing),
        algorithmType: 'SM2',
        now: NOW,
      }),
    );
    expect(value.algorithmDetected).toBe(false);
    expect(value.payload).toEqual({
      certContent: f.sm2Encryption.chainPem.trim(),
      privateKey: f.sm2Encryption.keyPem.trim(),
      algorithmType: 'SM2',
      certContentSign: f.sm2Signing.chainPem.trim(),
      privateKeySign: f.sm2Signing.keyPem.trim(),
    });
    expect(value.signLeaf?.commonName).toBe('sm2.example.com');
    expect(value.signLeaf?.fingerprintSha256).not.toBe(value.leaf.fingerprintSha256);
  });

  it.each<[string, AlgorithmType, () => Pair]>([
    ['RSA', 'RSA', () => f.rsa2048],
    ['ECC', 'ECC', () => f.ec384],
  ])('takes algorithmType %s when it agrees with the key', (_name, algorithmType, pair) => {
    const value = expectSuccess(
      validateTlsInputs({ secret: pairSecret(pair()), algorithmType, now: NOW }),
    );
    expect(value.algorithmType).toBe(algorithmType);
    expect(value.algorithmDetected).toBe(false);
  });

  it('drops an EC PARAMETERS block before the key', () => {
    const value = expectSuccess(
      validateTlsInputs({
        secret: tlsSecret(f.oneIntermediate.chainPem, EC_PARAMETERS_P256 + f.ecSec1KeyPem),
        now: NOW,
      }),
    );
    expect(value.payload.privateKey).toBe(f.ecSec1KeyPem.trim());
  });

  it('sends only what was given: no signing pair, no trusted root CA', () => {
    const value = expectSuccess(validateTlsInputs({ secret: pairSecret(f.ec256), now: NOW }));
    expect(Object.keys(value.payload).sort()).toEqual([
      'algorithmType',
      'certContent',
      'privateKey',
    ]);
    expect(value.signLeaf).toBeUndefined();
  });

  it('normalises the trusted root CA', () => {
    const bundle = f.rootPem + f.impostorIntermediatePem;
    const value = expectSuccess(
      validateTlsInputs({
        secret: pairSecret(f.ec256),
        trustedRootCA: `\n${bundle.replace(/\n/g, '\r\n')}\n\n`,
        now: NOW,
      }),
    );
    expect(value.payload.trustedRootCa).toBe(bundle.trim());
  });

  it.each([
    ['at notBefore', NOT_BEFORE],
    ['at notAfter', NOT_AFTER],
  ])('counts a certificate valid %s (bounds inclusive)', (_name, now) => {
    expect(validateTlsInputs({ secret: pairSecret(f.rsa2048), now }).ok).toBe(true);
  });

  it('takes the 2038 limit as APIG states it', () => {
    expect(LATEST_NOT_AFTER.toISOString()).toBe('2038-01-19T03:14:07.000Z');
    expect(LATEST_NOT_AFTER.getTime() / 1000).toBe(2 ** 31 - 1);
  });
});

describe('the leaf summary', () => {
  it('has the facts status and events show', () => {
    const value = expectSuccess(validateTlsInputs({ secret: pairSecret(f.ec256), now: NOW }));
    const x509 = new X509Certificate(f.ec256.certPem);
    expect(value.leaf).toEqual({
      subject: 'CN=app.example.com',
      commonName: 'app.example.com',
      subjectAltNames: ['app.example.com', 'www.example.com'],
      issuer: 'CN=app.example.com',
      serialNumber: f.ec256.serialNumber.toLowerCase().replace(/^(00)+/, ''),
      serialNumberDecimal: BigInt(`0x${x509.serialNumber}`).toString(10),
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      fingerprintSha256: x509.fingerprint256,
    });
  });

  it('names the issuing intermediate and counts the chain', () => {
    const value = expectSuccess(
      validateTlsInputs({ secret: pairSecret(f.twoIntermediates), now: NOW }),
    );
    expect(value.leaf.issuer).toBe('CN=Second Intermediate CA');
    expect(value.leaf.commonName).toBe('chain2.example.com');
    expect(value.chainLength).toBe(3);
  });

  it('prints names most specific first (RFC 4514), escaping special characters', async () => {
    const cert = await issueCertificate({
      key: { kind: 'EC' },
      subject: 'C=CN, O=Example\\, Inc., OU=Web, CN=shop.example.com',
      dnsNames: ['shop.example.com'],
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
    });
    const value = expectSuccess(validateTlsInputs({ secret: pairSecret(cert), now: NOW }));
    // node prints the subject in encoding order, one attribute per line.
    expect(new X509Certificate(cert.certPem).subject.split('\n')[0]).toBe('C=CN');
    expect(value.leaf.subject).toBe('CN=shop.example.com, OU=Web, O=Example\\, Inc., C=CN');
    expect(value.leaf.commonName).toBe('shop.example.com');
  });

  it('gives the serial in hex and in decimal', async () => {
    const cert = await issueCertificate({
      key: { kind: 'EC' },
      serialNumber: '32d2',
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
    });
    const value = expectSuccess(validateTlsInputs({ secret: pairSecret(cert), now: NOW }));
    expect(value.leaf.serialNumber).toBe('32d2');
    expect(value.leaf.serialNumberDecimal).toBe('13010');
  });
});

/** Rewraps every base64 body at `width` columns (0: one line). */
function rewrap(pem: string, width: number): string {
  return pem.replace(
    /(-----BEGIN [^-]+-----\n)([\s\S]*?)(\n-----END)/g,
    (_m, begin: string, body: string, end: string) => {
      const flat = body.replace(/\s/g, '');
      return (
        begin +
        (width === 0 ? flat : (flat.match(new RegExp(`.{1,${width}}`, 'g')) ?? []).join('\n')) +
        end
      );
    },
  );
}

const variants: [string, (pem: string) => string][] = [
  ['as issued', (pem) => pem],
  ['CRLF line endings', (pem) => pem.replace(/\n/g, '\r\n')],
  ['CR line endings', (pem) => pem.replace(/\n/g, '\r')],
  ['no trailing newline', (pem) => pem.trimEnd()],
  ['several trailing newlines', (pem) => `${pem}\n\n\n`],
  ['leading blank lines and spaces', (pem) => `\n \n\t${pem}`],
  [
    'indented lines with trailing tabs',
    (pem) =>
      pem
        .split('\n')
        .map((l) => `  ${l}\t`)
        .join('\n'),
  ],
  [
    'blank lines between blocks',
    (pem) => pem.replace(/-----\n-----BEGIN/g, '-----\n\n\n-----BEGIN'),
  ],
  ['base64 wrapped at 76 columns', (pem) => rewrap(pem, 76)],
  ['base64 on one line', (pem) => rewrap(pem, 0)],
  ['a UTF-8 byte order mark', (pem) => `\uFEFF${pem}`],
  [
    'CRLF, no trailing newline and 76 columns',
    (pem) => rewrap(pem, 76).replace(/\n/g, '\r\n').trimEnd(),
  ],
];

describe('normalisation', () => {
  it.each(variants)('gives identical bytes for %s', (_name, variant) => {
    const pair = f.twoIntermediates;
    const baseline = expectSuccess(
      validateTlsInputs({ secret: pairSecret(pair), now: NOW }),
    ).payload;
    const varied = expectSuccess(
      validateTlsInputs({
        secret: tlsSecret(variant(pair.chainPem), variant(pair.keyPem)),
        now: NOW,
      }),
    ).payload;
    expect(varied).toEqual(baseline);
    expect(varied.certContent).not.toMatch(/\r|\s$|^\s/);
    expect(varied.certContent.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(3);
  });

  it('is a fixed point: validating the output gives the output', () => {
    const first = expectSuccess(
      validateTlsInputs({ secret: pairSecret(f.oneIntermediate), now: NOW }),
    ).payload;
    const again = expectSuccess(
      validateTlsInputs({ secret: tlsSecret(first.certContent, first.privateKey), now: NOW }),
    ).payload;
    expect(again).toEqual(first);
  });

  it('keeps the chain in the order given (leaf, then each issuer)', () => {
    const value = expectSuccess(
      validateTlsInputs({ secret: pairSecret(f.twoIntermediates), now: NOW }),
    );
    const subjects = splitPem(value.payload.certContent).map(
      (pem) => new X509Certificate(pem).subject,
    );
    expect(subjects).toEqual([
      'CN=chain2.example.com',
      'CN=Second Intermediate CA',
      'CN=Test Intermediate CA',
    ]);
  });
});
