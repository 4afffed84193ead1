import { ListBodyReader, readListBody } from '../../../src/kube/list-body.ts';
import type { RawObject } from '../../../src/kube/metadata.ts';

const applied = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Secret',
  data: { blob: 'x'.repeat(300) },
});
const items = [
  {
    metadata: {
      name: 'a',
      resourceVersion: '1',
      annotations: { note: 'has } and ] and "items":[' },
    },
  },
  {
    metadata: {
      name: 'b',
      resourceVersion: '2',
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': applied },
    },
  },
  { metadata: { name: 'c\\"d', resourceVersion: '3', labels: { nested: '[{}]' } }, spec: [1, [2]] },
];
const list = {
  kind: 'PartialObjectMetadataList',
  apiVersion: 'meta.k8s.io/v1',
  metadata: { resourceVersion: '42', continue: 'next-page' },
  items,
};

/** Feeds `text` in pieces of `size` characters. */
function read(text: string, size: number) {
  const seen: RawObject[] = [];
  const reader = new ListBodyReader((raw) => seen.push(raw));
  for (let at = 0; at < text.length; at += size) reader.write(text.slice(at, at + size));
  return { items: seen, meta: reader.end() };
}

describe('ListBodyReader', () => {
  it.each([
    ['compact', JSON.stringify(list)],
    ['indented', JSON.stringify(list, null, 2)],
    ['items before metadata', JSON.stringify({ kind: 'List', items, metadata: list.metadata })],
    [
      'a value named "items" before the array',
      `{"kind":"items","other":[],${JSON.stringify(list).slice(1)}`,
    ],
  ])('yields every item and the list metadata (%s), however the body is split', (_, text) => {
    for (const size of [1, 2, 7, 64, text.length]) {
      expect(read(text, size)).toEqual({ items, meta: list.metadata });
    }
  });

  it.each([
    ['no items', '{"kind":"List","metadata":{"resourceVersion":"7"},"items":[]}', [], '7'],
    ['items null', '{"metadata":{"resourceVersion":"8"},"items":null}', [], '8'],
    [
      'no metadata',
      '{"items":[{"metadata":{"name":"x"}}]}',
      [{ metadata: { name: 'x' } }],
      undefined,
    ],
  ])('reads a list with %s', (_, text, expected, resourceVersion) => {
    const result = read(text, 3);
    expect(result.items).toEqual(expected);
    expect(result.meta.resourceVersion).toBe(resourceVersion);
  });

  it.each([
    ['a truncated body', JSON.stringify(list).slice(0, -20)],
    ['a broken item', '{"items":[{"metadata":{"name":}}]}'],
    ['an HTML page', '<html>bad gateway</html>'],
  ])('throws on %s', (_, text) => {
    expect(() => read(text, 5)).toThrow(SyntaxError);
  });
});

describe('readListBody', () => {
  it('decodes UTF-8 split inside a character', async () => {
    const bytes = new TextEncoder().encode(
      JSON.stringify({ metadata: {}, items: [{ metadata: { name: 'ü-€' } }] }),
    );
    async function* chunks() {
      for (let at = 0; at < bytes.length; at += 3) {
        await Promise.resolve(); // as a socket delivers: a chunk per turn
        yield bytes.slice(at, at + 3);
      }
    }
    const seen: RawObject[] = [];
    await readListBody(chunks(), (raw) => seen.push(raw));
    expect(seen).toEqual([{ metadata: { name: 'ü-€' } }]);
  });
});
