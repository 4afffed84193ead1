// The environment as the operator reads it: trimmed variables, files named by
// variables, and secrets from X or X_FILE. A bad setting is a ConfigError: one
// line naming the variable, never a secret value.

/** A setting that stops the operator at start. The message is one line and names the variable(s). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly kind = 'config';
  readonly variables: readonly string[];

  constructor(message: string, variables: readonly string[]) {
    super(message.replace(/\s*[\r\n]+\s*/g, ' '));
    this.variables = variables;
  }
}

/** `fs.readFileSync` fits; tests pass an in-memory file system. */
export type ReadTextFile = (path: string, encoding: 'utf8') => string;

/** A non-secret value quoted for a message, cut short. */
export function quote(value: string): string {
  const shown = value.length > 64 ? `${value.slice(0, 64)}…` : value;
  return JSON.stringify(shown);
}

export function fail(variable: string, problem: string): never {
  throw new ConfigError(`${variable}: ${problem}`, [variable]);
}

export interface SecretValue {
  value: string;
  /** The variable it came from: X or X_FILE. */
  source: string;
}

export class Environment {
  readonly #env: NodeJS.ProcessEnv;
  readonly #readFile: ReadTextFile;

  constructor(env: NodeJS.ProcessEnv, readFile: ReadTextFile) {
    this.#env = env;
    this.#readFile = readFile;
  }

  /** Trimmed; blank counts as unset (Kubernetes sets blank values for absent optional keys). */
  text(name: string): string | undefined {
    const value = this.#env[name]?.trim();
    return value === '' ? undefined : value;
  }

  /** Read a file named by a setting; the message names `variable` and the path, never the content. */
  file(variable: string, path: string): string {
    try {
      return this.#readFile(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException | undefined)?.code ?? 'unreadable';
      return fail(variable, `cannot read ${quote(path)} (${code})`);
    }
  }

  /** A file that may be absent; undefined when it cannot be read. */
  optionalFile(path: string): string | undefined {
    try {
      return this.#readFile(path, 'utf8');
    } catch {
      return undefined;
    }
  }

  /**
   * A secret from X or from the file named by X_FILE (a mounted Secret), with
   * one trailing newline removed: `kubectl create secret --from-file` keeps it.
   */
  secret(name: string): SecretValue | undefined {
    const fileVariable = `${name}_FILE`;
    const direct = this.#env[name];
    const path = this.text(fileVariable);
    const hasDirect = direct !== undefined && direct !== '';
    if (hasDirect && path !== undefined) {
      throw new ConfigError(`${name} and ${fileVariable} are both set; set only one`, [
        name,
        fileVariable,
      ]);
    }
    if (hasDirect) return { value: withoutTrailingNewline(direct), source: name };
    if (path === undefined) return undefined;
    const value = withoutTrailingNewline(this.file(fileVariable, path));
    if (value === '') fail(fileVariable, `file ${quote(path)} is empty`);
    return { value, source: fileVariable };
  }
}

function withoutTrailingNewline(value: string): string {
  return value.replace(/\r?\n$/, '');
}
