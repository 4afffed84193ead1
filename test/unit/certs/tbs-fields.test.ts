// readTbsFields against @peculiar/asn1-x509's full parse of the same DER, on
// certificates of every shape the TBSCertificate allows, and on broken DER.
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  Certificate,
  Extension,
  Extensions,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
  id_ce_basicConstraints,
} from '@peculiar/asn1-x509';
import { readTbsFields } from '../../../src/certs/tbs-fields.ts';

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

interface Shape {
  version: Version;
  serial: number[];
  uniqueIds?: boolean;
  extensions?: Extension[];
  /** A subject long enough for a two-octet length. */
  longSubject?: boolean;
}

function certificateDer(shape: Shape): Buffer {
  const algorithm = new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' });
  const tbs = new TBSCertificate({
    version: shape.version,
    serialNumber: new Uint8Array(shape.serial).buffer,
    signature: algorithm,
    issuer: name('Issuer CA'),
    validity: new Validity({
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2027-01-01T00:00:00Z'),
    }),
    subject: name(shape.longSubject ? 'x'.repeat(300) : 'app.example.com'),
    subjectPublicKeyInfo: new SubjectPublicKeyInfo({
      algorithm: new AlgorithmIdentifier({ algorithm: '1.2.840.10045.2.1' }),
      subjectPublicKey: new Uint8Array(65).fill(4).buffer,
    }),
    ...(shape.uniqueIds && {
      issuerUniqueID: new Uint8Array([1, 2]).buffer,
      subjectUniqueID: new Uint8Array([3, 4]).buffer,
    }),
    ...(shape.extensions && { extensions: new Extensions(shape.extensions) }),
  });
  const certificate = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: algorithm,
    signatureValue: new Uint8Array(64).fill(7).buffer,
  });
  return Buffer.from(AsnConvert.serialize(certificate));
}

const basicConstraints = (critical: boolean) =>
  new Extension({
    extnID: id_ce_basicConstraints,
    critical,
    extnValue: new OctetString(AsnConvert.serialize(new BasicConstraints({ cA: true }))),
  });

describe('readTbsFields', () => {
  it.each<[string, Shape]>([
    ['v1, no extensions', { version: Version.v1, serial: [0x01] }],
    ['v3, a serial with its sign byte', { version: Version.v3, serial: [0x00, 0x9f, 0x10] }],
    [
      'v3, a critical extension',
      { version: Version.v3, serial: [5], extensions: [basicConstraints(true)] },
    ],
    [
      'v3, a non-critical extension',
      { version: Version.v3, serial: [5], extensions: [basicConstraints(false)] },
    ],
    [
      'v2 unique IDs before the extensions',
      { version: Version.v3, serial: [7], uniqueIds: true, extensions: [basicConstraints(false)] },
    ],
    ['a long-form length', { version: Version.v3, serial: [9], longSubject: true }],
  ])('%s: the same fields as the full parse', (_case, shape) => {
    const der = certificateDer(shape);
    const parsed = AsnConvert.parse(der, Certificate).tbsCertificate;
    const fields = readTbsFields(der);
    expect(fields.serial).toEqual(Buffer.from(parsed.serialNumber));
    expect(fields.subject).toEqual(Buffer.from(AsnConvert.serialize(parsed.subject)));
    expect(fields.issuer).toEqual(Buffer.from(AsnConvert.serialize(parsed.issuer)));
    expect(fields.extensions.map((e) => Buffer.from(e.value).toString('hex'))).toEqual(
      (parsed.extensions ?? []).map((e) => Buffer.from(e.extnValue.buffer).toString('hex')),
    );
  });

  const valid = certificateDer({
    version: Version.v3,
    serial: [5],
    extensions: [basicConstraints(false)],
  });
  it.each<[string, Buffer]>([
    ['empty', Buffer.alloc(0)],
    ['truncated', valid.subarray(0, valid.length - 10)],
    ['not a SEQUENCE', Buffer.from([0x04, 0x02, 0x00, 0x00])],
    ['an indefinite length (BER)', Buffer.from([0x30, 0x80, 0x00, 0x00])],
    [
      'a length past the end',
      Buffer.concat([Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), valid]),
    ],
    ['a TBSCertificate of one field', Buffer.from([0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x01])],
  ])('refuses %s', (_case, der) => {
    expect(() => readTbsFields(der)).toThrow(RangeError);
  });
});
