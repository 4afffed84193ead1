// Algorithm detection reads the key's own structure, in every encoding
// Kubernetes users meet: PKCS#8, PKCS#1 (RSA) and SEC1 (EC, SM2).
import { generateKeyPairSync } from 'node:crypto';
import { encodePem, parsePem } from '../../../src/certs/pem.ts';
import { isEncryptedKey, loadPrivateKey } from '../../../src/certs/private-key.ts';
import type { PemBlock } from '../../../src/certs/pem.ts';
import { keyPem, nodeKeyPair } from './node-certificates.ts';
import type { NodeKeySpec } from './node-certificates.ts';

function onlyBlock(pem: string): PemBlock {
  const result = parsePem(pem);
  if (!result.ok || result.blocks.length !== 1) throw new Error('test key is not one PEM block');
  return result.blocks[0]!;
}

const ecKeys = nodeKeyPair({ kind: 'EC', curve: 'P-256' });
const sm2Keys = nodeKeyPair({ kind: 'SM2' });
const rsaKeys = nodeKeyPair({ kind: 'RSA' });

/** The PKCS#8 DER of the EC key with `extra` bytes after it. */
function pkcs8With(extra: number[]): string {
  const der = ecKeys.privateKey.export({ type: 'pkcs8', format: 'der' });
  return encodePem('PRIVATE KEY', Buffer.concat([der, Buffer.from(extra)]));
}

describe('loadPrivateKey', () => {
  it.each<[string, () => string, string, string | undefined]>([
    ['RSA PKCS#8', () => keyPem(rsaKeys), 'RSA', 'RSA'],
    ['RSA PKCS#1', () => keyPem(rsaKeys, 'pkcs1'), 'RSA', 'RSA'],
    ['EC P-256 PKCS#8', () => keyPem(ecKeys), 'ECC P-256', 'ECC'],
    ['EC P-256 SEC1', () => keyPem(ecKeys, 'sec1'), 'ECC P-256', 'ECC'],
    [
      'EC P-384 SEC1',
      () => keyPem(nodeKeyPair({ kind: 'EC', curve: 'P-384' }), 'sec1'),
      'ECC P-384',
      'ECC',
    ],
    [
      'EC P-521 PKCS#8',
      () => keyPem(nodeKeyPair({ kind: 'EC', curve: 'P-521' })),
      'ECC P-521',
      'ECC',
    ],
    ['SM2 PKCS#8 (curve 1.2.156.10197.1.301)', () => keyPem(sm2Keys), 'SM2', 'SM2'],
    ['SM2 SEC1', () => keyPem(sm2Keys, 'sec1'), 'SM2', 'SM2'],
    [
      'EC secp256k1',
      () => keyPem(nodeKeyPair({ kind: 'EC', curve: 'secp256k1' })),
      'EC on curve OID 1.3.132.0.10',
      undefined,
    ],
    [
      'Ed25519',
      () => keyPem(nodeKeyPair({ kind: 'Ed25519' } satisfies NodeKeySpec)),
      'Ed25519',
      undefined,
    ],
    [
      'RSA-PSS',
      () =>
        generateKeyPairSync('rsa-pss', { modulusLength: 2048 })
          .privateKey.export({ type: 'pkcs8', format: 'pem' })
          .toString(),
      'RSA-PSS',
      undefined,
    ],
    [
      'DSA',
      () =>
        generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 224 })
          .privateKey.export({ type: 'pkcs8', format: 'pem' })
          .toString(),
      'DSA',
      undefined,
    ],
  ])('reads %s as %s', (_name, pem, description, algorithmType) => {
    const key = loadPrivateKey(onlyBlock(pem()));
    expect(key?.algorithm).toEqual(
      algorithmType === undefined
        ? { supported: false, description }
        : { supported: true, algorithmType, description },
    );
  });

  it('detects SM2 from the structure alone, whatever OpenSSL calls the key', () => {
    const key = loadPrivateKey(onlyBlock(keyPem(sm2Keys)));
    // node has no name for SM2 key objects: detection cannot come from there.
    expect(key?.keyObject.asymmetricKeyType).not.toBe('sm2');
    expect(key?.algorithm).toMatchObject({ algorithmType: 'SM2' });
  });

  it.each<[string, string]>([
    ['a certificate label', '-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----'],
    [
      'a PKCS#8 label over a bare INTEGER',
      '-----BEGIN PRIVATE KEY-----\nAgEB\n-----END PRIVATE KEY-----',
    ],
    [
      'a SEC1 label over an RSA key',
      keyPem(rsaKeys, 'pkcs1').replace(/RSA PRIVATE KEY/g, 'EC PRIVATE KEY'),
    ],
    [
      'a PKCS#1 label over an EC key',
      keyPem(ecKeys, 'sec1').replace(/EC PRIVATE KEY/g, 'RSA PRIVATE KEY'),
    ],
    ['a truncated PKCS#8 key', keyPem(ecKeys).replace(/\n[^\n]+\n(-----END)/, '\n$1')],
    // OpenSSL loads such a key and ignores what follows it.
    ['a PKCS#8 key with bytes after it', pkcs8With([0x05, 0x00])],
    [
      'a PKCS#8 structure whose privateKey is an INTEGER',
      encodePem(
        'PRIVATE KEY',
        Buffer.from(
          '301b02010030130607 2a8648ce3d020106082a8648ce3d030107 020101'.replace(/ /g, ''),
          'hex',
        ),
      ),
    ],
  ])('refuses %s', (_name, pem) => {
    expect(loadPrivateKey(onlyBlock(pem))).toBeUndefined();
  });
});

describe('isEncryptedKey', () => {
  const legacy = rsaKeys.privateKey
    .export({ type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' })
    .toString();
  const pkcs8 = rsaKeys.privateKey
    .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' })
    .toString();
  it.each<[string, string, boolean]>([
    ['ENCRYPTED PRIVATE KEY', pkcs8, true],
    ['Proc-Type: 4,ENCRYPTED', legacy, true],
    ['an unencrypted PKCS#8 key', keyPem(rsaKeys), false],
    ['an unencrypted PKCS#1 key', keyPem(rsaKeys, 'pkcs1'), false],
  ])('%s → %s', (_name, pem, encrypted) => {
    expect(isEncryptedKey(onlyBlock(pem))).toBe(encrypted);
  });
});
