// Certificate factory for tests: real X.509 material made with @peculiar/x509
// and WebCrypto, so every test (client, simulator, operator) exercises the
// same parsing paths production code will meet.
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { x509 } from './x509.ts';

const crypto = webcrypto;

type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

export type KeySpec =
  { kind: 'RSA'; bits?: 2048 | 4096 } | { kind: 'EC'; curve?: 'P-256' | 'P-384' };

export interface IssueOptions {
  commonName?: string; // default 'app.example.com'
  dnsNames?: string[]; // default [commonName]; [] means no SAN extension at all
  ipAddresses?: string[]; // IP SAN entries, added to dnsNames
  key?: KeySpec; // default RSA 2048
  notBefore?: Date; // default now - 1h
  notAfter?: Date; // default now + 90d
  serialNumber?: string; // hex; default random
  issuer?: CertificateAuthority; // default: self-signed
  isCA?: boolean;
  /** Full subject DN, e.g. 'CN=app.example.com, O=Example, C=CN'; default 'CN=<commonName>'. */
  subject?: string;
  /** Reuse this key pair instead of generating one (RSA generation is slow); see sharedKeyPair(). */
  keyPair?: CryptoKeyPair;
}

export interface IssuedCertificate {
  certPem: string; // the leaf alone
  chainPem: string; // leaf then every intermediate up to (not including) the root, in order
  keyPem: string; // unencrypted PKCS#8 "PRIVATE KEY"
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  cert: X509.X509Certificate;
  /** The WebCrypto key pair, to pass back as IssueOptions.keyPair. */
  keyPair: CryptoKeyPair;
}

export interface CertificateAuthority extends IssuedCertificate {
  issue(opts?: IssueOptions): Promise<IssuedCertificate>; // leaf signed by this CA
  intermediate(opts?: IssueOptions): Promise<CertificateAuthority>; // sub-CA signed by this CA
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

function algorithmFor(spec: KeySpec): webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams {
  if (spec.kind === 'RSA') {
    return {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: spec.bits ?? 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    };
  }
  return { name: 'ECDSA', namedCurve: spec.curve ?? 'P-256' };
}

/** Signature algorithm a key signs with: SHA-256, or SHA-384 for P-384 as CAs usually do. */
function signingAlgorithmOf(key: CryptoKey): webcrypto.Algorithm | webcrypto.EcdsaParams {
  if (key.algorithm.name === 'ECDSA') {
    const curve = (key.algorithm as webcrypto.EcKeyAlgorithm).namedCurve;
    return {
      name: 'ECDSA',
      hash: curve === 'P-384' ? 'SHA-384' : 'SHA-256',
    };
  }
  return { name: 'RSASSA-PKCS1-v1_5' };
}

export function generateKeyPair(spec: KeySpec = { kind: 'RSA' }): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(algorithmFor(spec), true, ['sign', 'verify']);
}

const sharedKeys = new Map<string, Promise<CryptoKeyPair>>();

/**
 * One memoised key pair per spec for tests that create many certificates and do
 * not care that they share a key. Never use it where a key mismatch matters.
 */
export function sharedKeyPair(spec: KeySpec = { kind: 'RSA' }): Promise<CryptoKeyPair> {
  const id = spec.kind === 'RSA' ? `RSA-${spec.bits ?? 2048}` : `EC-${spec.curve ?? 'P-256'}`;
  let keys = sharedKeys.get(id);
  if (!keys) {
    keys = generateKeyPair(spec);
    sharedKeys.set(id, keys);
  }
  return keys;
}

function randomSerialHex(): string {
  const bytes = randomBytes(16);
  // Positive and without a leading zero byte, as RFC 5280 asks.
  bytes[0] = (bytes[0]! & 0x7f) | 0x10;
  return bytes.toString('hex');
}

function pemBlock(label: string, der: ArrayBuffer): string {
  const body = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${body.replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

interface IssuerContext {
  cert: X509.X509Certificate;
  keyPair: CryptoKeyPair;
  /** Intermediates above the new certificate, nearest first; '' when the issuer is the root. */
  chainAbove: string;
}

async function build(
  opts: IssueOptions,
  isCA: boolean,
  parent?: IssuerContext,
): Promise<IssuedCertificate> {
  const commonName = opts.commonName ?? 'app.example.com';
  const dnsNames = opts.dnsNames ?? [commonName];
  const ipAddresses = opts.ipAddresses ?? [];
  const keyPair = opts.keyPair ?? (await generateKeyPair(opts.key));
  const now = Date.now();
  const notBefore = opts.notBefore ?? new Date(now - HOUR_MS);
  const notAfter = opts.notAfter ?? new Date(now + 90 * DAY_MS);
  const serialNumber = opts.serialNumber ?? randomSerialHex();
  const subject = opts.subject ?? `CN=${commonName}`;

  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(isCA, undefined, true),
    new x509.KeyUsagesExtension(
      isCA
        ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
        : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(keyPair.publicKey),
  ];
  if (!isCA)
    extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]));
  if (dnsNames.length + ipAddresses.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension([
        ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...ipAddresses.map((value) => ({ type: 'ip' as const, value })),
      ]),
    );
  }
  if (parent) {
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(parent.keyPair.publicKey));
  }

  const signingKey = parent?.keyPair.privateKey ?? keyPair.privateKey;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber,
    subject,
    issuer: parent?.cert.subject ?? subject,
    notBefore,
    notAfter,
    publicKey: keyPair.publicKey,
    signingKey,
    signingAlgorithm: signingAlgorithmOf(signingKey),
    extensions,
  });

  const certPem = cert.toString('pem') + '\n';
  const keyPem = pemBlock(
    'PRIVATE KEY',
    await crypto.subtle.exportKey('pkcs8', keyPair.privateKey),
  );
  return {
    certPem,
    chainPem: certPem + (parent?.chainAbove ?? ''),
    keyPem,
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    cert,
    keyPair,
  };
}

function asAuthority(issued: IssuedCertificate, isRoot: boolean): CertificateAuthority {
  // A root is never sent in a chain; an intermediate is, after whatever it signs.
  const context: IssuerContext = {
    cert: issued.cert,
    keyPair: issued.keyPair,
    chainAbove: isRoot ? '' : issued.chainPem,
  };
  return {
    ...issued,
    issue: (opts = {}) => build(opts, opts.isCA ?? false, context),
    intermediate: async (opts = {}) =>
      asAuthority(
        await build({ commonName: 'Test Intermediate CA', ...opts }, true, context),
        false,
      ),
  };
}

/** A self-signed root CA (or, with opts.issuer, an intermediate signed by that CA). */
export async function createCA(opts: IssueOptions = {}): Promise<CertificateAuthority> {
  if (opts.issuer) return opts.issuer.intermediate({ ...opts, issuer: undefined });
  const issued = await build({ commonName: 'Test Root CA', dnsNames: [], ...opts }, true);
  return asAuthority(issued, true);
}

/** A leaf certificate, self-signed unless opts.issuer is given. */
export async function issueCertificate(opts: IssueOptions = {}): Promise<IssuedCertificate> {
  if (opts.issuer) return opts.issuer.issue({ ...opts, issuer: undefined });
  return build(opts, opts.isCA ?? false);
}

/** The same key as an "ENCRYPTED PRIVATE KEY" PEM (PKCS#8, AES-256-CBC). */
export function encryptPrivateKey(keyPem: string, passphrase: string): string {
  return createPrivateKey(keyPem)
    .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase })
    .toString();
}

/** Split a PEM bundle into its blocks, each ending with a newline. */
export function splitPem(pem: string): string[] {
  return (pem.match(/-----BEGIN [^-]+-----[\s\S]*?-----END [^-]+-----/g) ?? []).map(
    (b) => b + '\n',
  );
}

/** The chain with its certificates in reverse order (intermediates first): what APIG rejects with APIG.2104. */
export function reverseChain(chainPem: string): string {
  return splitPem(chainPem).reverse().join('');
}

/** base64 values for a kubernetes.io/tls Secret's data (any bytes, for Secrets that must be refused). */
export function tlsSecretData(c: { chainPem: string | Buffer; keyPem: string | Buffer }): {
  'tls.crt': string;
  'tls.key': string;
} {
  return {
    'tls.crt': Buffer.from(c.chainPem).toString('base64'),
    'tls.key': Buffer.from(c.keyPem).toString('base64'),
  };
}

// --- SM2 (GB/T 32918) ---------------------------------------------------------
// WebCrypto has no SM2, so SM2 certificates are assembled here: the TBS
// certificate is DER-encoded by hand (names and extensions come from
// @peculiar/x509) and signed SM2-with-SM3 by Node's OpenSSL.

const SM2_WITH_SM3 = '1.2.156.10197.1.501';

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function der(tag: number, ...content: (Buffer | ArrayBuffer)[]): Buffer {
  const body = Buffer.concat(content.map((c) => (Buffer.isBuffer(c) ? c : Buffer.from(c))));
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

function derOid(oid: string): Buffer {
  const [first = 0, second = 0, ...rest] = oid.split('.').map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let n = arc >>> 7; n > 0; n >>>= 7) chunk.unshift((n & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}

function derInteger(hex: string): Buffer {
  let bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  if ((bytes[0]! & 0x80) !== 0) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return der(0x02, bytes);
}

/** UTCTime until 2049, GeneralizedTime after, as RFC 5280 asks. */
function derTime(date: Date): Buffer {
  const iso = date
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d{3}/, '');
  return date.getUTCFullYear() < 2050
    ? der(0x17, Buffer.from(iso.slice(2)))
    : der(0x18, Buffer.from(iso));
}

export interface Sm2Certificate {
  certPem: string;
  /** The certificate alone: SM2 certificates here are self-signed. */
  chainPem: string;
  /** Unencrypted PKCS#8 SM2 key (an EC key on the SM2 curve). */
  keyPem: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  cert: X509.X509Certificate;
}

export type Sm2IssueOptions = Pick<
  IssueOptions,
  'commonName' | 'dnsNames' | 'notBefore' | 'notAfter' | 'serialNumber' | 'subject'
>;

/** An unencrypted PKCS#8 PEM of a fresh SM2 private key. */
export function generateSm2PrivateKeyPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'SM2' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
}

/** A self-signed SM2-with-SM3 certificate and its SM2 key (APIG's SM2 form needs two such pairs). */
export function issueSm2Certificate(opts: Sm2IssueOptions = {}): Sm2Certificate {
  const commonName = opts.commonName ?? 'app.example.com';
  const dnsNames = opts.dnsNames ?? [commonName];
  const now = Date.now();
  const notBefore = opts.notBefore ?? new Date(now - HOUR_MS);
  const notAfter = opts.notAfter ?? new Date(now + 90 * DAY_MS);
  const serialNumber = opts.serialNumber ?? randomSerialHex();
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'SM2' });
  const name = new x509.Name(opts.subject ?? `CN=${commonName}`).toArrayBuffer();
  const extensions: ArrayBuffer[] = [
    new x509.BasicConstraintsExtension(false, undefined, true).rawData,
  ];
  if (dnsNames.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        dnsNames.map((value) => ({ type: 'dns' as const, value })),
      ).rawData,
    );
  }
  const algorithm = der(0x30, derOid(SM2_WITH_SM3));
  const tbs = der(
    0x30,
    der(0xa0, derInteger('02')), // v3
    derInteger(serialNumber),
    algorithm,
    name,
    der(0x30, derTime(notBefore), derTime(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    der(0xa3, der(0x30, ...extensions)),
  );
  const signature = sign('sm3', tbs, privateKey);
  const certificate = der(0x30, tbs, algorithm, der(0x03, Buffer.from([0]), signature));
  const cert = new x509.X509Certificate(certificate);
  const certPem = cert.toString('pem') + '\n';
  return {
    certPem,
    chainPem: certPem,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    cert,
  };
}
