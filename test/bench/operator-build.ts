// The operator as users run it: `node dist/main.js` (see the Dockerfile),
// compiled here into a temporary folder so neither dist/ nor anyone else's
// build is touched. Running src/main.ts instead costs ~20 MiB of RSS for
// Node's type stripping, which no deployment pays.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const SOURCE_MAIN = join(ROOT, 'src', 'main.ts');

export interface OperatorBuild {
  main: string;
  /** Compile time; 0 when running from source. */
  ms: number;
  /** Type errors tsc reported (it still emits); empty when clean. */
  warnings: string;
  remove(): Promise<void>;
}

export function sourceBuild(): OperatorBuild {
  return { main: SOURCE_MAIN, ms: 0, warnings: '', remove: () => Promise.resolve() };
}

export async function buildOperator(): Promise<OperatorBuild> {
  const dir = await mkdtemp(join(tmpdir(), 'apig-cert-operator-bench-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  const started = Date.now();
  let warnings = '';
  try {
    await run(process.execPath, [
      TSC,
      '-p',
      join(ROOT, 'tsconfig.build.json'),
      '--outDir',
      join(dir, 'dist'),
      '--sourceMap',
      'false',
    ]);
  } catch (error) {
    // tsc emits despite type errors (someone's work in progress); say so, go on.
    warnings = String((error as { stdout?: string }).stdout ?? error).trim();
  }
  const main = join(dir, 'dist', 'main.js');
  if (!existsSync(main)) {
    await remove();
    throw new Error(`building the operator produced no ${main}:\n${warnings}`);
  }
  // Resolve the repository's node_modules, and load dist/*.js as ES modules.
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
  return { main, ms: Date.now() - started, warnings, remove };
}
