// Certificates for key types WebCrypto (and so test/support/certs.ts) cannot
// make: SM2, P-521, Ed25519, secp256k1. Keys come from node:crypto (OpenSSL),
// the certificate structure from @peculiar/asn1-x509, and the signature from
// crypto.sign, which for SM2 applies the default GB/T 32918 signer ID as
// OpenSSL's own X.509 code does.
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  Certificate,
  Extension,
  Extensions,
  GeneralName,
  Name,
  RelativeDistinguishedName,
  SubjectAlternativeName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
  id_ce_basicConstraints,
  id_ce_subjectAltName,
} from '@peculiar/asn1-x509';
import { OctetString } from '@peculiar/asn1-schema';

export type NodeKeySpec =
  | { kind: 'SM2' }
  | { kind: 'EC'; curve: 'P-256' | 'P-384' | 'P-521' | 'secp256k1' }
  | { kind: 'RSA' }
  | { kind: 'Ed25519' };

export interface NodeKeyPair {
  readonly spec: NodeKeySpec;
  /** The key that signs. */
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The same key as OpenSSL can export it in every encoding (for SM2: its EC form). */
  readonly exportable: KeyObject;
}

const CURVES = {
  'P-256': 'prime256v1',
  'P-384': 'secp384r1',
  'P-521': 'secp521r1',
  secp256k1: 'secp256k1',
} as const;

export function nodeKeyPair(spec: NodeKeySpec): NodeKeyPair {
  switch (spec.kind) {
    case 'SM2': {
      // Generated keys are plain EC keys on the SM2 curve and would sign with
      // ECDSA; loaded from PKCS#8, OpenSSL makes them SM2 keys (SM2 signatures).
      const generated = generateKeyPairSync('ec', { namedCurve: 'SM2' });
      const privateKey = createPrivateKey(
        generated.privateKey.export({ type: 'pkcs8', format: 'pem' }),
      );
      return {
        spec,
        privateKey,
        publicKey: createPublicKey(privateKey),
        exportable: generated.privateKey,
      };
    }
    case 'EC':
      return withExportable(spec, generateKeyPairSync('ec', { namedCurve: CURVES[spec.curve] }));
    case 'RSA':
      return withExportable(spec, generateKeyPairSync('rsa', { modulusLength: 2048 }));
    case 'Ed25519':
      return withExportable(spec, generateKeyPairSync('ed25519'));
  }
}

function withExportable(
  spec: NodeKeySpec,
  keys: { privateKey: KeyObject; publicKey: KeyObject },
): NodeKeyPair {
  return { spec, ...keys, exportable: keys.privateKey };
}

/** PKCS#8 PEM, or the traditional encoding (SEC1 / PKCS#1) when asked. */
export function keyPem(keys: NodeKeyPair, type: 'pkcs8' | 'sec1' | 'pkcs1' = 'pkcs8'): string {
  return keys.exportable.export({ type, format: 'pem' }).toString();
}

export interface NodeCertificateOptions {
  readonly keys: NodeKeyPair;
  readonly commonName: string;
  readonly dnsNames?: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly isCA?: boolean;
  /** Leave out basicConstraints, as old (X.509 v1 era) root CAs do. */
  readonly withoutBasicConstraints?: boolean;
  /** Default: self-signed. */
  readonly issuer?: NodeCertificate;
}

export interface NodeCertificate {
  readonly pem: string;
  readonly keys: NodeKeyPair;
  readonly subject: Name;
}

function name(commonName: string): Name {
  return new Name([
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({
        type: '2.5.4.3',
        value: new AttributeValue({ utf8String: commonName }),
      }),
    ]),
  ]);
}

/** Signature algorithm OID and the digest crypto.sign needs for a signer's key. */
function signatureOf(spec: NodeKeySpec): {
  oid: string;
  digest: string | null;
  nullParams: boolean;
} {
  switch (spec.kind) {
    case 'SM2':
      return { oid: '1.2.156.10197.1.501', digest: 'sm3', nullParams: false };
    case 'EC':
      return spec.curve === 'P-521'
        ? { oid: '1.2.840.10045.4.3.4', digest: 'sha512', nullParams: false }
        : { oid: '1.2.840.10045.4.3.2', digest: 'sha256', nullParams: false };
    case 'RSA':
      return { oid: '1.2.840.113549.1.1.11', digest: 'sha256', nullParams: true };
    case 'Ed25519':
      return { oid: '1.3.101.112', digest: null, nullParams: false };
  }
}

function extension(oid: string, value: object, critical = false): Extension {
  return new Extension({
    extnID: oid,
    critical,
    extnValue: new OctetString(AsnConvert.serialize(value)),
  });
}

export function nodeCertificate(opts: NodeCertificateOptions): NodeCertificate {
  const subject = name(opts.commonName);
  const signer = opts.issuer?.keys ?? opts.keys;
  const signature = signatureOf(signer.spec);
  const algorithm = new AlgorithmIdentifier({
    algorithm: signature.oid,
    ...(signature.nullParams && { parameters: null }),
  });
  const serial = randomBytes(12);
  serial[0] = (serial[0]! & 0x7f) | 0x10;
  const extensions = opts.withoutBasicConstraints
    ? []
    : [extension(id_ce_basicConstraints, new BasicConstraints({ cA: opts.isCA ?? false }), true)];
  const dnsNames = opts.dnsNames ?? [opts.commonName];
  if (dnsNames.length > 0) {
    extensions.push(
      extension(
        id_ce_subjectAltName,
        new SubjectAlternativeName(dnsNames.map((dNSName) => new GeneralName({ dNSName }))),
      ),
    );
  }
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: new Uint8Array(serial).buffer,
    signature: algorithm,
    issuer: opts.issuer?.subject ?? subject,
    validity: new Validity({ notBefore: opts.notBefore, notAfter: opts.notAfter }),
    subject,
    subjectPublicKeyInfo: AsnConvert.parse(
      opts.keys.publicKey.export({ type: 'spki', format: 'der' }),
      SubjectPublicKeyInfo,
    ),
    extensions: new Extensions(extensions),
  });
  const signatureValue = sign(
    signature.digest,
    Buffer.from(AsnConvert.serialize(tbs)),
    signer.privateKey,
  );
  const der = AsnConvert.serialize(
    new Certificate({
      tbsCertificate: tbs,
      signatureAlgorithm: algorithm,
      signatureValue: new Uint8Array(signatureValue).buffer,
    }),
  );
  const body = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return {
    pem: `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`,
    keys: opts.keys,
    subject,
  };
}
