import { ConfigError, type ReadTextFile } from '../../../src/config/index.ts';

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

/** The ConfigError `load` throws; fails the test when it accepts the configuration. */
export function configErrorOf(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted the configuration');
}
