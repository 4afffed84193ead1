import { decodeBase64, encodePem, parsePem, parsePemBytes } from '../../../src/certs/pem.ts';
import type { PemProblem } from '../../../src/certs/pem.ts';

const DER = Buffer.from('3003020101', 'hex');
const block = (label: string, body = DER.toString('base64')): string =>
  `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;

describe('parsePem', () => {
  it('reads blocks, their labels and their bytes', () => {
    const result = parsePem(block('CERTIFICATE') + block('RSA PRIVATE KEY'));
    expect(result.ok && result.blocks.map((b) => [b.label, b.der.toString('hex')])).toEqual([
      ['CERTIFICATE', '3003020101'],
      ['RSA PRIVATE KEY', '3003020101'],
    ]);
  });

  it('reads RFC 1421 headers of legacy encrypted keys', () => {
    const text =
      '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00FF\n\n' +
      `${DER.toString('base64')}\n-----END RSA PRIVATE KEY-----\n`;
    const result = parsePem(text);
    expect(result.ok && Object.fromEntries(result.blocks[0]!.headers)).toEqual({
      'Proc-Type': '4,ENCRYPTED',
      'DEK-Info': 'AES-128-CBC,00FF',
    });
  });

  it.each<[string, string, PemProblem]>([
    ['nothing', '', { kind: 'empty' }],
    ['only whitespace', ' \r\n\t\n', { kind: 'empty' }],
    [
      'text before a block',
      `hello\n${block('CERTIFICATE')}`,
      { kind: 'textOutsideBlocks', line: 1 },
    ],
    ['text after a block', `${block('CERTIFICATE')}\nbye`, { kind: 'textOutsideBlocks', line: 5 }],
    ['base64 without armor', DER.toString('base64'), { kind: 'textOutsideBlocks', line: 1 }],
    [
      'a BEGIN without END',
      `-----BEGIN CERTIFICATE-----\n${DER.toString('base64')}\n`,
      { kind: 'unterminated', label: 'CERTIFICATE', line: 1 },
    ],
    [
      'an END of another label',
      `-----BEGIN CERTIFICATE-----\n${DER.toString('base64')}\n-----END PRIVATE KEY-----\n`,
      { kind: 'unterminated', label: 'CERTIFICATE', line: 1 },
    ],
    [
      'a BEGIN inside a block',
      `-----BEGIN CERTIFICATE-----\n${block('CERTIFICATE')}`,
      { kind: 'unterminated', label: 'CERTIFICATE', line: 1 },
    ],
    [
      'a body that is not base64',
      block('CERTIFICATE', 'MII*not base64'),
      { kind: 'badBody', label: 'CERTIFICATE', line: 1 },
    ],
    ['an empty body', block('CERTIFICATE', ''), { kind: 'badBody', label: 'CERTIFICATE', line: 1 }],
    // "QR==" decodes like "QQ==" but is not what any encoder writes.
    [
      'non-canonical padding bits',
      block('CERTIFICATE', 'QR=='),
      { kind: 'badBody', label: 'CERTIFICATE', line: 1 },
    ],
    [
      'a broken header',
      block('CERTIFICATE', 'Proc-Type: 4,ENCRYPTED\nnot a header\n\nAA=='),
      { kind: 'badBody', label: 'CERTIFICATE', line: 1 },
    ],
  ])('refuses %s', (_name, text, problem) => {
    expect(parsePem(text)).toEqual({ ok: false, problem });
  });
});

describe('parsePemBytes', () => {
  it.each<[string, Buffer, boolean]>([
    ['DER', Buffer.concat([DER, Buffer.from([0x00, 0xff])]), true],
    ['NUL bytes', Buffer.from('-----BEGIN \u0000'), false],
    ['invalid UTF-8', Buffer.from([0x2d, 0xc3, 0x28]), false],
  ])('calls %s binary', (_name, bytes, looksLikeDer) => {
    expect(parsePemBytes(bytes)).toEqual({ ok: false, problem: { kind: 'binary', looksLikeDer } });
  });

  it('reads UTF-8 text with a byte order mark', () => {
    expect(parsePemBytes(Buffer.from(`\uFEFF${block('CERTIFICATE')}`)).ok).toBe(true);
  });
});

describe('decodeBase64', () => {
  it.each([['AAAA'], ['QUJD'], ['QQ==']])('accepts %s', (value) => {
    expect(decodeBase64(value)).toBeInstanceOf(Buffer);
  });
  it.each([['AAA'], ['AA AA'], ['AA\nAA'], ['-_-_'], ['A===']])('refuses %j', (value) => {
    expect(decodeBase64(value)).toBeUndefined();
  });
});

describe('encodePem', () => {
  it('wraps at 64 columns with \\n and no trailing newline', () => {
    const der = Buffer.alloc(100, 0xab);
    const pem = encodePem('CERTIFICATE', der);
    const lines = pem.split('\n');
    expect(lines[0]).toBe('-----BEGIN CERTIFICATE-----');
    expect(lines.at(-1)).toBe('-----END CERTIFICATE-----');
    expect(lines.slice(1, -1).map((l) => l.length)).toEqual([64, 64, 8]);
    expect(pem).not.toMatch(/\r|\n$/);
  });
});
