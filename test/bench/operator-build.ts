// The operator as users run it: `node dist/main.js` (see the Dockerfile), the
// one-file bundle of build.ts, written here into a temporary folder so neither
// dist/ nor anyone else's build is touched. Running src/main.ts instead loads
// every module of every package it imports, which no deployment pays.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleOperator } from '../../build.ts';
import { keyValues, parseStages } from '../unit/dockerfile/dockerfile.ts';

const SOURCE_MAIN = new URL('../../src/main.ts', import.meta.url).pathname;

const DOCKERFILE = new URL('../../Dockerfile', import.meta.url).pathname;

/** The ENV of the image's final stage (NODE_OPTIONS, MALLOC_ARENA_MAX…): the operator runs with them. */
export function imageEnvironment(): Record<string, string> {
  const final = parseStages(readFileSync(DOCKERFILE, 'utf8')).at(-1);
  const env: Record<string, string> = {};
  for (const { keyword, args } of final?.instructions ?? []) {
    if (keyword === 'ENV') for (const [key, value] of keyValues(args)) env[key] = value;
  }
  return env;
}

export interface OperatorBuild {
  main: string;
  /** Bundling time; 0 when running from source. */
  ms: number;
  remove(): Promise<void>;
}

export function sourceBuild(): OperatorBuild {
  return { main: SOURCE_MAIN, ms: 0, remove: () => Promise.resolve() };
}

/** Bundles without type-checking (`npm run check` does that): a work in progress still runs. */
export async function buildOperator(): Promise<OperatorBuild> {
  const dir = await mkdtemp(join(tmpdir(), 'apig-cert-operator-bench-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  const started = Date.now();
  try {
    const main = await bundleOperator(join(dir, 'dist'));
    return { main, ms: Date.now() - started, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
