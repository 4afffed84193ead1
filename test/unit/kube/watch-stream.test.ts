import { isKubeApiError } from '../../../src/kube/kube-client.ts';
import { isExpired, parseWatchLine, streamLines } from '../../../src/kube/watch-stream.ts';

describe('parseWatchLine', () => {
  it.each([
    ['ADDED', '{"type":"ADDED","object":{"metadata":{"name":"a"}}}'],
    ['MODIFIED', '{"type":"MODIFIED","object":{"metadata":{"name":"a"}}}'],
    ['DELETED', '{"type":"DELETED","object":{"metadata":{"name":"a"}}}'],
    ['BOOKMARK', '{"type":"BOOKMARK","object":{"metadata":{"name":"a"}}}'],
  ])('passes %s through', (type, line) => {
    expect(parseWatchLine(line, 'secrets')).toEqual({ type, object: { metadata: { name: 'a' } } });
  });

  it.each([
    ['unparsable', '{"type":', /unparsable watch line \(8 bytes\)/],
    ['no object', '{"type":"ADDED"}', /ADDED has no object/],
    ['unknown type', '{"type":"SYNC","object":{}}', /unknown watch event type SYNC/],
  ])('throws for a line that is %s', (_case, line, message) => {
    expect(() => parseWatchLine(line, 'secrets')).toThrow(message);
  });

  it.each([
    // [Status in the ERROR event, status code of the error, expired?]
    [{ code: 410, reason: 'Expired', message: 'gone' }, 410, true],
    [{ code: 500, message: 'too old resource version: 5 (9)' }, 410, true],
    [{ code: 500, reason: 'InternalError', message: 'boom' }, 500, false],
    [{ message: 'no code' }, 500, false],
  ])('an ERROR event with %j throws a KubeApiError %d', (status, code, expired) => {
    const line = JSON.stringify({ type: 'ERROR', object: { kind: 'Status', ...status } });
    let error: unknown;
    try {
      parseWatchLine(line, 'secrets');
    } catch (e) {
      error = e;
    }
    expect(isKubeApiError(error, code)).toBe(true);
    expect(isExpired(error)).toBe(expired);
  });
});

describe('streamLines', () => {
  const chunks = (...parts: (string | Uint8Array)[]): AsyncIterable<Uint8Array> =>
    ReadableStream.from(
      parts.map((p) => (typeof p === 'string' ? new TextEncoder().encode(p) : p)),
    );

  it.each([
    [['a\nb\n'], ['a', 'b']],
    [
      ['a', 'b\n', 'c'],
      ['ab', 'c'],
    ],
    [['\n  \n x \n'], ['x']],
    [[], []],
  ])('splits %j into %j', async (parts, expected) => {
    let seen = 0;
    const lines: string[] = [];
    for await (const line of streamLines(chunks(...parts), () => seen++)) lines.push(line);
    expect(lines).toEqual(expected);
    expect(seen).toBe(parts.length);
  });

  it('splits a multi-byte character across chunks correctly', async () => {
    const bytes = new TextEncoder().encode('é\n');
    const lines: string[] = [];
    const split = chunks(bytes.slice(0, 1), bytes.slice(1));
    for await (const line of streamLines(split, () => undefined)) lines.push(line);
    expect(lines).toEqual(['é']);
  });
});
