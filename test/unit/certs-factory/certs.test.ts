import { X509Certificate, createPrivateKey } from 'node:crypto';
import {
  createCA,
  encryptPrivateKey,
  generateSm2PrivateKeyPem,
  issueCertificate,
  issueSm2Certificate,
  reverseChain,
  sharedKeyPair,
  splitPem,
  tlsSecretData,
} from '../../support/certs.ts';

describe('certificate factory', () => {
  it('issues a leaf through an intermediate with the chain leaf-first and no root', async () => {
    const root = await createCA({ key: { kind: 'EC' } });
    const intermediate = await root.intermediate({ key: { kind: 'EC', curve: 'P-384' } });
    const leaf = await intermediate.issue({ commonName: 'api.example.com', key: { kind: 'EC' } });

    const [first, second, ...rest] = splitPem(leaf.chainPem).map((p) => new X509Certificate(p));
    expect(rest).toHaveLength(0);
    expect(first!.subject).toBe('CN=api.example.com');
    expect(second!.subject).toBe('CN=Test Intermediate CA');
    expect(first!.checkIssued(second!)).toBe(true);
    expect(first!.verify(second!.publicKey)).toBe(true);
    expect(second!.verify(new X509Certificate(root.certPem).publicKey)).toBe(true);
    expect(leaf.certPem).toBe(splitPem(leaf.chainPem)[0]);
    expect(first!.checkPrivateKey(createPrivateKey(leaf.keyPem))).toBe(true);
  });

  it('reverses a chain so the intermediate comes first', async () => {
    const root = await createCA({ key: { kind: 'EC' } });
    const leaf = await (
      await root.intermediate({ key: { kind: 'EC' } })
    ).issue({ key: { kind: 'EC' } });
    const reversed = splitPem(reverseChain(leaf.chainPem));
    expect(reversed[1]).toBe(leaf.certPem);
  });

  it.each([
    [{ kind: 'RSA' as const }, 'rsa', 2048],
    [{ kind: 'EC' as const, curve: 'P-384' as const }, 'ec', undefined],
  ])('generates %j keys', async (key, type, bits) => {
    const leaf = await issueCertificate({ key });
    const privateKey = createPrivateKey(leaf.keyPem);
    expect(privateKey.asymmetricKeyType).toBe(type);
    expect(privateKey.asymmetricKeyDetails?.modulusLength).toBe(bits);
    expect(leaf.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('leaves out the SAN extension when dnsNames is empty', async () => {
    const key = await sharedKeyPair({ kind: 'EC' });
    const withSan = await issueCertificate({
      keyPair: key,
      dnsNames: ['a.example.com', 'b.example.com'],
    });
    const noSan = await issueCertificate({ keyPair: key, dnsNames: [] });
    expect(new X509Certificate(withSan.certPem).subjectAltName).toBe(
      'DNS:a.example.com, DNS:b.example.com',
    );
    expect(new X509Certificate(noSan.certPem).subjectAltName).toBeUndefined();
  });

  it('honours validity dates and serial number', async () => {
    const notBefore = new Date('2020-01-01T00:00:00Z');
    const notAfter = new Date('2020-02-01T00:00:00Z');
    const leaf = await issueCertificate({
      keyPair: await sharedKeyPair({ kind: 'EC' }),
      notBefore,
      notAfter,
      serialNumber: '3302',
    });
    const parsed = new X509Certificate(leaf.certPem);
    expect(new Date(parsed.validTo)).toEqual(notAfter);
    expect(new Date(parsed.validFrom)).toEqual(notBefore);
    expect(parsed.serialNumber).toBe('3302');
    expect(leaf.notAfter).toEqual(notAfter);
  });

  it('encrypts a key so it needs the passphrase', async () => {
    const leaf = await issueCertificate({ keyPair: await sharedKeyPair({ kind: 'EC' }) });
    const encrypted = encryptPrivateKey(leaf.keyPem, 'correct horse');
    expect(encrypted).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
    expect(() => createPrivateKey(encrypted)).toThrow();
    const decrypted = createPrivateKey({ key: encrypted, passphrase: 'correct horse' });
    expect(decrypted.export({ type: 'pkcs8', format: 'pem' })).toBe(leaf.keyPem);
  });

  it('encodes Secret data as base64', () => {
    expect(tlsSecretData({ chainPem: 'chain', keyPem: 'key' })).toEqual({
      'tls.crt': Buffer.from('chain').toString('base64'),
      'tls.key': Buffer.from('key').toString('base64'),
    });
  });
});

describe('SM2 certificates', () => {
  it('issues a self-signed SM2-with-SM3 certificate whose key matches', () => {
    const sm2 = issueSm2Certificate({ commonName: 'sm2.example.com', serialNumber: '3302' });
    const parsed = new X509Certificate(sm2.certPem);
    expect(parsed.signatureAlgorithmOid).toBe('1.2.156.10197.1.501');
    expect(parsed.subjectAltName).toBe('DNS:sm2.example.com');
    expect(parsed.serialNumber).toBe('3302');
    expect(parsed.checkPrivateKey(createPrivateKey(sm2.keyPem))).toBe(true);
    expect(sm2.chainPem).toBe(sm2.certPem);
  });

  it('writes dates after 2049 as GeneralizedTime', () => {
    const notAfter = new Date('2060-01-01T00:00:00Z');
    expect(issueSm2Certificate({ notAfter }).notAfter).toEqual(notAfter);
  });

  it('generates SM2 private keys on the SM2 curve', () => {
    const pem = generateSm2PrivateKeyPem();
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    // 1.2.156.10197.1.301, the SM2 curve
    expect(
      createPrivateKey(pem)
        .export({ type: 'pkcs8', format: 'der' })
        .includes(Buffer.from('06082a811ccf5501822d', 'hex')),
    ).toBe(true);
  });
});
