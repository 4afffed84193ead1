// X.509 names as text (RFC 4514 style) and as comparison keys.
import type { Name } from '@peculiar/asn1-x509';

export const OID_COMMON_NAME = '2.5.4.3';
export const OID_SUBJECT_SERIAL_NUMBER = '2.5.4.5';

const SHORT_NAMES: Readonly<Record<string, string>> = {
  [OID_COMMON_NAME]: 'CN',
  [OID_SUBJECT_SERIAL_NUMBER]: 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

function escapeValue(value: string): string {
  return value
    .replace(/[\\,+"<>;]/g, (c) => `\\${c}`)
    .replace(/^[#\s]/, (c) => `\\${c}`)
    .replace(/\s$/, (c) => `\\${c}`);
}

/** `CN=app.example.com, O=Example, C=CN`: most specific first, as RFC 4514 and OpenSSL print it. */
export function formatName(name: Name): string {
  return Array.from(name)
    .reverse()
    .map((rdn) =>
      Array.from(
        rdn,
        (atv) => `${SHORT_NAMES[atv.type] ?? atv.type}=${escapeValue(atv.value.toString())}`,
      ).join('+'),
    )
    .join(', ');
}

/**
 * A key that is equal for names RFC 5280 (7.1) treats as equal in practice:
 * same attributes in the same order, values compared case-insensitively with
 * whitespace runs folded, whatever string type encodes them.
 */
export function nameKey(name: Name): string {
  return JSON.stringify(
    Array.from(name, (rdn) =>
      Array.from(
        rdn,
        (atv) => `${atv.type}=${atv.value.toString().trim().replace(/\s+/g, ' ').toLowerCase()}`,
      ).sort(),
    ),
  );
}

/** The first value of an attribute, e.g. the common name. */
export function nameAttribute(name: Name, oid: string): string | undefined {
  for (const rdn of name) {
    for (const atv of rdn) if (atv.type === oid) return atv.value.toString();
  }
  return undefined;
}
