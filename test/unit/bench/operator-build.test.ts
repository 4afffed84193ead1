import { assertAscii } from '../../../build.ts';
import { imageEnvironment } from '../../../test/bench/operator-build.ts';

describe('imageEnvironment', () => {
  it("is the final stage's ENV, so the bench runs the operator with the image's V8 and malloc settings", () => {
    const env = imageEnvironment();
    expect(env.NODE_ENV).toBe('production');
    expect(env.NODE_OPTIONS).toMatch(/--max-old-space-size=\d+/);
    expect(env.NODE_OPTIONS).toMatch(/--max-semi-space-size=\d+/);
    expect(env.NODE_OPTIONS).toContain('--expose-gc');
    expect(env.MALLOC_ARENA_MAX).toMatch(/^\d+$/);
    expect(env.MALLOC_MMAP_THRESHOLD_).toMatch(/^\d+$/);
  });
});

describe('assertAscii', () => {
  it('passes an ASCII bundle and names the line of a character that is not', () => {
    expect(() => assertAscii('let a = 1;\nlet b = /\\u03bcs/;\n', 'main.js')).not.toThrow();
    expect(() => assertAscii('let a = 1;\nlet b = /\u03bcs/;\n', 'main.js')).toThrow(
      /main\.js:2: the bundle holds a non-ASCII character/,
    );
  });
});
