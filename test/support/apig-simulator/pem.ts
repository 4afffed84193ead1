// Minimal PEM block handling, as a Go-style pem.Decode loop sees it.

export interface PemBlock {
  label: string;
  /** Header lines such as "Proc-Type: 4,ENCRYPTED" (traditional OpenSSL encryption). */
  headers: string[];
  /** The whole block, BEGIN to END line, newline-terminated. */
  text: string;
  der: Buffer;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/** Every well-formed block in order; text between blocks is ignored, as Go's pem.Decode does. */
export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const [whole, label, inner] = match;
    const lines = inner!.split(/\r?\n/).map((line) => line.trim());
    const headers = lines.filter((line) => line.includes(':'));
    const base64 = lines.filter((line) => line !== '' && !line.includes(':')).join('');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length === 0) continue;
    blocks.push({ label: label!, headers, text: `${whole}\n`, der: Buffer.from(base64, 'base64') });
  }
  return blocks;
}
