// `npm run build`: type-check src/, then bundle src/main.ts into one file,
// dist/main.js, with only the code it uses. Loading `@kubernetes/client-node`
// whole costs ~80 MiB of RSS (its generated API models and clients come with
// the kubeconfig loader); the bundle keeps the kubeconfig and auth code we
// call and drops the rest. `node dist/main.js` needs no node_modules: dist/
// is the whole program (the container image copies only it).
//
//   node build.ts [--outdir <dir>]    (default dist/)
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';

const ROOT = new URL('./', import.meta.url).pathname;

/**
 * Some bundled packages are CommonJS and `require()` Node's modules; an ES
 * module has no `require`, so the bundle makes one.
 */
const REQUIRE_SHIM =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/**
 * @kubernetes/client-node's modules declare classes with static fields set
 * after each class (the generated models' type maps, the serializer's),
 * which esbuild must keep as possible side effects: importing KubeConfig
 * brought every model (441 KB of the bundle, evaluated at start). Marked
 * side-effect free, esbuild keeps only what some code uses. The package's one
 * module run for its effect, polyfill.js (a `File` global for Node 18), stays.
 */
const CLIENT_NODE = /[\\/]@kubernetes[\\/]client-node[\\/]dist[\\/]/;
const CLIENT_NODE_POLYFILL = /[\\/]polyfill\.js$/;
const RESOLVING = Symbol('resolving');
const clientNodeIsPure: Plugin = {
  name: 'client-node-is-side-effect-free',
  setup(plugin) {
    plugin.onResolve({ filter: /^\.\.?\// }, async (args) => {
      if (args.pluginData === RESOLVING) return undefined;
      const { kind, importer, resolveDir } = args;
      const resolved = await plugin.resolve(args.path, {
        kind,
        importer,
        resolveDir,
        pluginData: RESOLVING,
      });
      const pure = CLIENT_NODE.test(resolved.path) && !CLIENT_NODE_POLYFILL.test(resolved.path);
      if (resolved.errors.length > 0 || !pure) return undefined;
      return { path: resolved.path, sideEffects: false };
    });
  },
};

/**
 * Node's own modules that an ES module must not `import`: for an ES import of
 * a builtin, Node builds the module namespace by reading every export, and
 * `node:http`'s WebSocket, CloseEvent and MessageEvent are lazy getters that
 * load Node's internal copy of undici (0.76 MB of source, compiled and kept).
 * Imported, it cost 13 MiB of RSS (6 MiB anonymous) in an empty process;
 * through `require`, which reads no export, nothing. Our code and
 * client-node's ES build import `node:http`, so the bundle requires it.
 */
const REQUIRED_BUILTINS = /^(node:)?http$/;
const BUILTIN_THROUGH_REQUIRE = 'builtin-through-require';
const builtinsThroughRequire: Plugin = {
  name: BUILTIN_THROUGH_REQUIRE,
  setup(plugin) {
    plugin.onResolve({ filter: REQUIRED_BUILTINS }, (args) =>
      args.kind === 'import-statement' || args.kind === 'dynamic-import'
        ? { path: args.path.replace(/^(node:)?/, 'node:'), namespace: BUILTIN_THROUGH_REQUIRE }
        : undefined,
    );
    plugin.onLoad({ filter: /.*/, namespace: BUILTIN_THROUGH_REQUIRE }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

/**
 * undici's entry point requires all of undici: fetch and the WHATWG classes,
 * WebSocket, EventSource, the mocks, the caches (974 KB of the bundle, every
 * module evaluated at start). The operator and client-node use its
 * dispatchers only, so the bundle's `undici` is an entry with just those and
 * the dispatcher methods (`request`) the real one installs. An ES module, so
 * that a bundled import of anything else fails the build instead of being
 * undefined at run time. Only `fetch` is a stand-in that throws: client-node
 * imports it for its generated API clients (IsomorphicFetchHttpLibrary),
 * which the operator never calls (KubeClient sends every request). In an
 * empty process, undici's entry cost 26 MiB of RSS and this one 16.
 */
const UNDICI_DISPATCHERS = `
import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';
import api from 'undici/lib/api/index.js';
import Agent from 'undici/lib/dispatcher/agent.js';
import ProxyAgent from 'undici/lib/dispatcher/proxy-agent.js';
import EnvHttpProxyAgent from 'undici/lib/dispatcher/env-http-proxy-agent.js';
Object.assign(Dispatcher.prototype, api);
export { Agent, EnvHttpProxyAgent, ProxyAgent };
export function fetch() {
  throw new Error("undici's fetch is not in this bundle (build.ts)");
}
`;
const UNDICI_DISPATCHERS_NAMESPACE = 'undici-dispatchers';
const undiciDispatchersOnly: Plugin = {
  name: UNDICI_DISPATCHERS_NAMESPACE,
  setup(plugin) {
    plugin.onResolve({ filter: /^undici$/ }, () => ({
      path: 'undici',
      namespace: UNDICI_DISPATCHERS_NAMESPACE,
    }));
    plugin.onLoad({ filter: /.*/, namespace: UNDICI_DISPATCHERS_NAMESPACE }, () => ({
      contents: UNDICI_DISPATCHERS,
      loader: 'js',
      resolveDir: ROOT,
    }));
  },
};

/**
 * Bundles the operator into `outdir`/main.js (and its source map), with a
 * package.json that makes it an ES module wherever the folder is copied;
 * returns the path of main.js.
 */
export async function bundleOperator(outdir: string): Promise<string> {
  const outfile = join(outdir, 'main.js');
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: [join(ROOT, 'src', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    // Whitespace and syntax only: names stay, so stack traces and the `type`
    // of logged errors still read as in the source.
    minifyWhitespace: true,
    minifySyntax: true,
    // Written for debugging; `node --enable-source-maps` uses it, at a memory cost.
    sourcemap: 'linked',
    // The bundled packages' license comments go to main.js.LEGAL.txt, shipped
    // with it (and one of them is not ASCII: see assertAscii).
    legalComments: 'linked',
    banner: { js: REQUIRE_SHIM },
    plugins: [clientNodeIsPure, builtinsThroughRequire, undiciDispatchersOnly],
    logLevel: 'warning',
  });
  writeFileSync(join(outdir, 'package.json'), '{ "type": "module" }\n');
  assertAscii(readFileSync(outfile, 'utf8'), outfile);
  return outfile;
}

/**
 * Keeps the bundle ASCII: with one μ (U+03BC) of a regular expression in it
 * (esbuild escapes strings, not regex literals), V8 held the 2.5 MB source as
 * two bytes per character, 2.4 MiB more RSS for the life of the process.
 */
export function assertAscii(text: string, file: string): void {
  const at = text.search(/[\u0080-\uffff]/);
  if (at < 0) return;
  const line = text.slice(0, at).split('\n').length;
  throw new Error(
    `${file}:${line}: the bundle holds a non-ASCII character (${JSON.stringify(text.slice(Math.max(0, at - 40), at + 10))}); write it as a \\u escape in the source`,
  );
}

/** tsc over src/ only (tsconfig.build.json): esbuild strips types without checking them. */
export function typeCheck(): void {
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      join(ROOT, 'tsconfig.build.json'),
    ],
    { stdio: 'inherit' },
  );
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const flag = process.argv.indexOf('--outdir');
  const outdir = resolve(flag >= 0 ? (process.argv[flag + 1] ?? '') : join(ROOT, 'dist'));
  typeCheck();
  process.stdout.write(`${await bundleOperator(outdir)}\n`);
}
