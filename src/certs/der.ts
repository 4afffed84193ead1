// A minimal DER reader: just enough to find the algorithm and curve OIDs of a
// private key. OpenSSL builds without SM2 cannot load SM2 keys, so the
// algorithm is read from the structure itself.

export const TAG_INTEGER = 0x02;
export const TAG_OCTET_STRING = 0x04;
export const TAG_OID = 0x06;
export const TAG_SEQUENCE = 0x30;
/** [0] EXPLICIT, as SEC1 wraps the curve parameters. */
export const TAG_CONTEXT_0 = 0xa0;

export interface Tlv {
  readonly tag: number;
  readonly value: Buffer;
}

/** The elements of a DER value, in order; undefined when the encoding is broken. */
export function readElements(bytes: Buffer): Tlv[] | undefined {
  const elements: Tlv[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 2 > bytes.length) return undefined;
    const tag = bytes[offset]!;
    let length = bytes[offset + 1]!;
    let start = offset + 2;
    if (length & 0x80) {
      const lengthBytes = length & 0x7f;
      // Indefinite (BER) or absurd lengths have no place in a key.
      if (lengthBytes === 0 || lengthBytes > 4 || start + lengthBytes > bytes.length) {
        return undefined;
      }
      length = bytes.subarray(start, start + lengthBytes).reduce((n, b) => n * 256 + b, 0);
      start += lengthBytes;
    }
    const end = start + length;
    if (end > bytes.length) return undefined;
    elements.push({ tag, value: bytes.subarray(start, end) });
    offset = end;
  }
  return elements;
}

/** The single element that makes up `bytes`, if it has the expected tag. */
export function readSingle(bytes: Buffer, tag: number): Tlv | undefined {
  const elements = readElements(bytes);
  return elements?.length === 1 && elements[0]!.tag === tag ? elements[0] : undefined;
}

/** Dotted text of an OBJECT IDENTIFIER's content bytes. */
export function decodeOid(bytes: Buffer): string | undefined {
  if (bytes.length === 0 || (bytes[bytes.length - 1]! & 0x80) !== 0) return undefined;
  const arcs: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    }
  }
  const first = arcs.shift()!;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...arcs].join('.');
}
