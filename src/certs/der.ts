// A DER walker: tags and lengths only (X.690 §8.1, definite lengths), so
// that only the fields read go through the ASN.1 schema parser, whose cost
// grows with every element it maps (a whole small certificate took 0.8 ms).
// Used for certificates (tbs-fields.ts) and PKCS#8 keys (private-key.ts).

/** Universal tag bytes of the fields walked past or read. */
export const TAG = {
  sequence: 0x30,
  integer: 0x02,
  boolean: 0x01,
  octetString: 0x04,
  objectIdentifier: 0x06,
} as const;

export interface Element {
  tag: number;
  /** Offsets in the buffer: the whole element, and its content. */
  start: number;
  contentStart: number;
  end: number;
}

/** The DER element at `offset`, which must end by `limit`; throws on anything else. */
export function elementAt(der: Buffer, offset: number, limit: number): Element {
  if (offset + 2 > limit) throw new RangeError(`DER: element at ${offset} runs past ${limit}`);
  const tag = der[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new RangeError(`DER: multi-byte tag at ${offset}`);
  const first = der[offset + 1]!;
  let length = first;
  let contentStart = offset + 2;
  if (first >= 0x80) {
    const octets = first & 0x7f;
    // 0x80 is BER's indefinite length, which DER forbids; 4 octets cover any certificate.
    if (octets === 0 || octets > 4)
      throw new RangeError(`DER: length form 0x${first.toString(16)}`);
    length = 0;
    for (let i = 0; i < octets; i += 1) length = length * 256 + der[contentStart + i]!;
    contentStart += octets;
  }
  const end = contentStart + length;
  if (end > limit) throw new RangeError(`DER: element at ${offset} runs past ${limit}`);
  return { tag, start: offset, contentStart, end };
}

export function withTag(element: Element, tag: number, what: string): Element {
  if (element.tag !== tag) {
    throw new RangeError(
      `DER: ${what} has tag 0x${element.tag.toString(16)}, not 0x${tag.toString(16)}`,
    );
  }
  return element;
}

/** The children of a constructed element, in order. */
export function childrenOf(der: Buffer, parent: Element): Element[] {
  const children: Element[] = [];
  for (let offset = parent.contentStart; offset < parent.end;) {
    const child = elementAt(der, offset, parent.end);
    children.push(child);
    offset = child.end;
  }
  return children;
}
