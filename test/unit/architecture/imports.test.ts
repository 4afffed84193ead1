// docs/architecture.md §1 as a test: which folder of src/ may import which.
// A new import that crosses a boundary fails here, not in review.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = new URL('../../../src/', import.meta.url).pathname;

/** Where an import may go: `value` for any import, `type` for `import type` only. */
const ALLOWED: Record<string, Record<string, 'value' | 'type'>> = {
  api: {},
  common: {},
  'log.ts': {},
  certs: { api: 'value', common: 'value' },
  apig: { api: 'value', common: 'value', 'log.ts': 'value' },
  kube: { common: 'value' },
  config: { api: 'value', common: 'value', apig: 'type', 'log.ts': 'type' },
  observability: { common: 'value', apig: 'value', controller: 'type', 'log.ts': 'type' },
  controller: {
    api: 'value',
    common: 'value',
    apig: 'value',
    certs: 'value',
    kube: 'value',
    observability: 'type',
    'log.ts': 'type',
  },
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The top-level part of src/ a path belongs to: a folder, or a file such as `log.ts`. */
const partOf = (path: string): string => relative(SRC, path).split('/')[0]!;

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
  line: string;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const found: Import[] = [];
  for (const match of text.matchAll(/^(import|export)(\s+type)?[^'";]*?from\s+'(\.[^']+)';/gms)) {
    found.push({
      from: partOf(file),
      to: partOf(resolve(dirname(file), match[3]!)),
      typeOnly: match[2] !== undefined,
      line: `${relative(SRC, file)}: ${match[0].replace(/\s+/g, ' ')}`,
    });
  }
  return found;
}

const crossing = sourceFiles(SRC)
  .flatMap(importsOf)
  .filter((i) => i.from !== i.to && i.from !== 'main.ts');

describe('src/ imports follow docs/architecture.md', () => {
  it('finds the imports it checks', () => {
    expect(crossing.length).toBeGreaterThan(50);
  });

  it.each(Object.keys(ALLOWED))('%s imports only what it may', (part) => {
    const refused = crossing
      .filter((i) => i.from === part)
      .filter((i) => {
        const allowed = ALLOWED[part]![i.to];
        return allowed === undefined || (allowed === 'type' && !i.typeOnly);
      })
      .map((i) => i.line);
    expect(refused).toEqual([]);
  });

  it('every part of src/ has a rule', () => {
    const parts = new Set(sourceFiles(SRC).map(partOf));
    parts.delete('main.ts');
    expect([...parts].sort()).toEqual(Object.keys(ALLOWED).sort());
  });
});
