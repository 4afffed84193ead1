import type { ReadTextFile } from '../../../src/config/index.ts';

/** An in-memory file system for loadConfig: unknown paths fail like fs does (ENOENT). */
export function fakeFiles(contents: Readonly<Record<string, string>> = {}): ReadTextFile {
  return (path) => {
    const content = contents[path];
    if (content === undefined) {
      throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), {
        code: 'ENOENT',
      });
    }
    return content;
  };
}
