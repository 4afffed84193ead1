import { mergePatch, statusPatchBody } from '../../../src/kube/status-writer.ts';

describe('mergePatch (RFC 7386) from current to desired status', () => {
  it.each<[string, Record<string, unknown> | undefined, Record<string, unknown>, unknown]>([
    ['nothing changed', { a: 1, b: [1, 2] }, { a: 1, b: [1, 2] }, undefined],
    ['no status yet', undefined, { a: 1 }, { a: 1 }],
    ['a changed scalar', { a: 1, b: 2 }, { a: 1, b: 3 }, { b: 3 }],
    [
      'a removed field becomes null',
      { a: 1, lastError: { code: 'x' } },
      { a: 1 },
      { lastError: null },
    ],
    ['undefined in desired counts as removed', { a: 1, b: 2 }, { a: 1, b: undefined }, { b: null }],
    [
      'arrays are replaced whole',
      { c: [{ type: 'Ready', status: 'False' }] },
      { c: [{ type: 'Ready', status: 'True' }] },
      { c: [{ type: 'Ready', status: 'True' }] },
    ],
    [
      'nested objects are patched field by field',
      { e: { code: 'a', time: 't' } },
      { e: { code: 'b', time: 't' } },
      { e: { code: 'b' } },
    ],
    [
      'a nested field removed',
      { e: { code: 'a', httpStatus: 500 } },
      { e: { code: 'a' } },
      { e: { httpStatus: null } },
    ],
    ['an object replacing a scalar', { e: 'x' }, { e: { code: 'a' } }, { e: { code: 'a' } }],
  ])('%s', (_case, current, desired, expected) => {
    expect(mergePatch(current, desired)).toEqual(expected);
  });
});

describe('statusPatchBody', () => {
  it.each<[string, Record<string, unknown> | undefined, string | undefined, unknown]>([
    ['no precondition', { a: 1 }, undefined, { status: { a: 2 } }],
    [
      'resourceVersion as precondition',
      { a: 1 },
      '42',
      { metadata: { resourceVersion: '42' }, status: { a: 2 } },
    ],
    ['nothing to write, precondition or not', { a: 2 }, '42', undefined],
  ])('%s', (_case, current, resourceVersion, expected) => {
    expect(statusPatchBody(current, { a: 2 }, resourceVersion)).toEqual(expected);
  });
});
