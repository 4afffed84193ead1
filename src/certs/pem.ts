// Strict PEM (RFC 7468) reading and canonical writing. Reading rejects
// anything a careful server could read differently (text outside blocks,
// broken armor, non-canonical base64); writing re-encodes from the DER bytes,
// so equal content always yields byte-identical PEM whatever the input's line
// endings, wrapping or surrounding whitespace.
import { TextDecoder } from 'node:util';

export interface PemBlock {
  /** The label between BEGIN and END, e.g. `CERTIFICATE`, `RSA PRIVATE KEY`. */
  readonly label: string;
  /** RFC 1421 headers, present on legacy encrypted keys (`Proc-Type`, `DEK-Info`). */
  readonly headers: ReadonlyMap<string, string>;
  readonly der: Buffer;
}

export type PemProblem =
  | { readonly kind: 'binary'; readonly looksLikeDer: boolean }
  | { readonly kind: 'empty' }
  | { readonly kind: 'textOutsideBlocks'; readonly line: number }
  | { readonly kind: 'unterminated'; readonly label: string; readonly line: number }
  | { readonly kind: 'badBody'; readonly label: string; readonly line: number };

export type PemParseResult =
  | { readonly ok: true; readonly blocks: readonly PemBlock[] }
  | { readonly ok: false; readonly problem: PemProblem };

const BEGIN = /^-----BEGIN ([A-Z0-9]+(?: [A-Z0-9]+)*)-----$/;
const END = /^-----END ([A-Z0-9]+(?: [A-Z0-9]+)*)-----$/;
const HEADER = /^([A-Za-z0-9-]+):\s*(.*)$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Decodes a Secret data value as the Kubernetes API returns it (standard
 * base64); undefined when it is not base64.
 */
export function decodeBase64(value: string): Buffer | undefined {
  if (value.length % 4 !== 0 || !BASE64.test(value)) return undefined;
  return Buffer.from(value, 'base64');
}

/** Reads PEM text from bytes, refusing binary data (DER, archives, garbage). */
export function parsePemBytes(bytes: Buffer): PemParseResult {
  if (bytes.some(isControlByte)) return binary(bytes);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return binary(bytes);
  }
  return parsePem(text);
}

/** Control characters other than tab, LF and CR never occur in PEM text. */
function isControlByte(byte: number): boolean {
  return (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) || byte === 0x7f;
}

function binary(bytes: Buffer): PemParseResult {
  // 0x30 is an ASN.1 SEQUENCE: the usual start of a DER certificate or key.
  return { ok: false, problem: { kind: 'binary', looksLikeDer: bytes[0] === 0x30 } };
}

/** Splits PEM text into blocks; only whitespace may appear outside them. */
export function parsePem(text: string): PemParseResult {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const blocks: PemBlock[] = [];
  let index = 0;
  while (index < lines.length) {
    const line = lines[index]!.trim();
    if (line === '') {
      index += 1;
      continue;
    }
    const begin = BEGIN.exec(line);
    if (!begin) return { ok: false, problem: { kind: 'textOutsideBlocks', line: index + 1 } };
    const label = begin[1]!;
    const beginLine = index + 1;
    // The next armor line must be this block's END: a BEGIN first means this one is unterminated.
    const end = lines.findIndex(
      (l, i) => i > index && (BEGIN.test(l.trim()) || END.test(l.trim())),
    );
    if (end === -1 || END.exec(lines[end]!.trim())?.[1] !== label) {
      return { ok: false, problem: { kind: 'unterminated', label, line: beginLine } };
    }
    const block = readBody(label, lines.slice(index + 1, end));
    if (!block) return { ok: false, problem: { kind: 'badBody', label, line: beginLine } };
    blocks.push(block);
    index = end + 1;
  }
  if (blocks.length === 0) return { ok: false, problem: { kind: 'empty' } };
  return { ok: true, blocks };
}

function readBody(label: string, rawLines: string[]): PemBlock | undefined {
  const lines = rawLines.map((l) => l.trim());
  const headers = new Map<string, string>();
  let first = lines.findIndex((l) => l !== '');
  // RFC 1421 headers: "Name: value" lines, then one blank line.
  if (first !== -1 && HEADER.test(lines[first]!)) {
    while (first < lines.length && lines[first] !== '') {
      const header = HEADER.exec(lines[first]!);
      if (!header) return undefined;
      headers.set(header[1]!, header[2]!);
      first += 1;
    }
  }
  const body = lines.slice(Math.max(first, 0)).join('');
  const der = decodeBase64(body);
  // Re-encoding must give the same text: rejects stray bits in the padding.
  if (!der || der.length === 0 || der.toString('base64') !== body) return undefined;
  return { label, headers, der };
}

/** Canonical PEM of one block: 64-column base64, `\n` line ends, no trailing newline. */
export function encodePem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return [`-----BEGIN ${label}-----`, ...lines, `-----END ${label}-----`].join('\n');
}

/** Human description of a PEM problem for an error message (no data quoted). */
export function describePemProblem(problem: PemProblem, field: string): string {
  switch (problem.kind) {
    case 'binary':
      return problem.looksLikeDer
        ? `${field} holds binary DER data, not PEM text; convert it to PEM`
        : `${field} holds binary data, not PEM text`;
    case 'empty':
      return `${field} holds no PEM block (no -----BEGIN ...----- line)`;
    case 'textOutsideBlocks':
      return `${field} has text outside PEM blocks at line ${problem.line}; only whitespace may surround the blocks`;
    case 'unterminated':
      return `${field}: the ${problem.label} block starting at line ${problem.line} has no matching -----END ${problem.label}----- line`;
    case 'badBody':
      return `${field}: the ${problem.label} block starting at line ${problem.line} is not valid base64`;
  }
}
