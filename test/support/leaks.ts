// The core of every leak scan: which surfaces (logs, Events, status, metrics)
// contain a private key or a credential. Callers decide what to collect.

const PRIVATE_KEY_HEADER = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const PRIVATE_KEY_BLOCK = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----([\s\S]*?)-----END \1-----/g;
/** Shorter base64 lines (a block's tail) could match by chance; 40+ characters cannot. */
const MIN_KEY_LINE = 40;

/** The base64 body lines of every private key PEM block in `text`. */
export function privateKeyLines(text: string): string[] {
  const lines: string[] = [];
  for (const [, , body] of text.matchAll(PRIVATE_KEY_BLOCK)) {
    for (const line of body!.split(/\r?\n/)) {
      const trimmed = line.trim();
      if (trimmed.length >= MIN_KEY_LINE && !trimmed.includes(':')) lines.push(trimmed);
    }
  }
  return lines;
}

export interface SecretsToFind {
  /** `[where, text]`: what was seen, e.g. `['output of operator #1', output]`. */
  surfaces: Iterable<readonly [string, string]>;
  /** Lines of private keys (see privateKeyLines). */
  keyLines: Iterable<string>;
  /** Credential value -> what it is, as findings name it (never the value). */
  credentials?: ReadonlyMap<string, string>;
}

/**
 * Where a secret appears, as `surface: what` lines that never quote it:
 * `expect(findSecrets(...)).toEqual([])`. Refuses to scan without a key to
 * look for, because a scan that looks for nothing proves nothing.
 */
export function findSecrets({
  surfaces,
  keyLines,
  credentials = new Map(),
}: SecretsToFind): string[] {
  const lines = [...new Set(keyLines)];
  if (lines.length === 0) {
    throw new Error(
      'leak scan: no private key to look for; a scan that looks for nothing proves nothing',
    );
  }
  const findings: string[] = [];
  for (const [surface, text] of surfaces) {
    if (PRIVATE_KEY_HEADER.test(text)) findings.push(`${surface}: a private key PEM header`);
    if (lines.some((line) => text.includes(line))) findings.push(`${surface}: a private key line`);
    for (const [value, what] of credentials) {
      if (value !== '' && text.includes(value)) findings.push(`${surface}: ${what}`);
    }
  }
  return findings;
}
