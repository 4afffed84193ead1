// The TBSCertificate fields certificate.ts reads, as DER slices (RFC 5280
// §4.1), found by walking tags and lengths. The generic ASN.1 schema parser
// (@peculiar/asn1-schema over asn1js) took about 0.8 ms to map a whole small
// certificate, public key and signature included, once per certificate of
// every Secret change; the names and the two extensions it is still given
// are a few hundred bytes.

import { childrenOf, elementAt, TAG, withTag, type Element } from './der.ts';

/** [0] EXPLICIT version; [3] EXPLICIT extensions (the [1], [2] unique IDs are passed over). */
const VERSION_TAG = 0xa0;
const EXTENSIONS_TAG = 0xa3;

export interface TbsFields {
  /** The serial's INTEGER content (two's complement, as encoded). */
  readonly serial: Buffer;
  /** The issuer and subject Names, each a whole DER SEQUENCE. */
  readonly issuer: Buffer;
  readonly subject: Buffer;
  /** Each extension's OID content and the content of its extnValue OCTET STRING. */
  readonly extensions: readonly { readonly oid: Buffer; readonly value: Buffer }[];
}

/** Reads a DER certificate's TBS fields; throws a RangeError when it is not one. */
export function readTbsFields(der: Buffer): TbsFields {
  const certificate = withTag(elementAt(der, 0, der.length), TAG.sequence, 'Certificate');
  const [tbsElement] = childrenOf(der, certificate);
  if (!tbsElement) throw new RangeError('DER: empty Certificate');
  const fields = childrenOf(der, withTag(tbsElement, TAG.sequence, 'TBSCertificate'));
  let next = fields[0]?.tag === VERSION_TAG ? 1 : 0;
  const take = (tag: number, what: string): Element => {
    const field = fields[next];
    if (!field) throw new RangeError(`DER: TBSCertificate ends before ${what}`);
    next += 1;
    return withTag(field, tag, what);
  };
  const serial = take(TAG.integer, 'serialNumber');
  take(TAG.sequence, 'signature');
  const issuer = take(TAG.sequence, 'issuer');
  take(TAG.sequence, 'validity');
  const subject = take(TAG.sequence, 'subject');
  take(TAG.sequence, 'subjectPublicKeyInfo');
  // Past the key: the optional unique IDs ([1], [2]), then the extensions ([3]).
  const extensions: { oid: Buffer; value: Buffer }[] = [];
  const wrapper = fields.slice(next).find((field) => field.tag === EXTENSIONS_TAG);
  if (wrapper) {
    const [list] = childrenOf(der, wrapper);
    if (!list) throw new RangeError('DER: empty extensions');
    for (const extension of childrenOf(der, withTag(list, TAG.sequence, 'extensions'))) {
      const parts = childrenOf(der, withTag(extension, TAG.sequence, 'Extension'));
      const oid = withTag(parts[0] ?? extension, TAG.objectIdentifier, 'extnID');
      const value = parts[parts.length - 1];
      if (!value || value === parts[0]) throw new RangeError('DER: Extension without extnValue');
      if (parts.length === 3) withTag(parts[1]!, TAG.boolean, 'critical');
      withTag(value, TAG.octetString, 'extnValue');
      extensions.push({
        oid: der.subarray(oid.contentStart, oid.end),
        value: der.subarray(value.contentStart, value.end),
      });
    }
  }
  return {
    serial: der.subarray(serial.contentStart, serial.end),
    issuer: der.subarray(issuer.start, issuer.end),
    subject: der.subarray(subject.start, subject.end),
    extensions,
  };
}
