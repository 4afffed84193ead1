// Keeps one control plane up until told to stop.
//
//   node test/support/control-plane/daemon.ts          (npm run dev:cluster) for people
//   node test/support/control-plane/daemon.ts --json   for Jest's global setup
//
// It stops, and removes every process and folder it made, on SIGINT, SIGTERM,
// SIGHUP, and in --json mode also when its stdin closes: a parent killed with
// SIGKILL cannot run its teardown, but its end of the pipe still closes.
// Teardown never depends on being able to print: a parent that is gone has
// closed our stdout and stderr too (EPIPE).
import { readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ensureBinaries } from './binaries.ts';
import { ControlPlane } from './control-plane.ts';
import { devClusterStateFile } from './dev-cluster.ts';

const json = process.argv.includes('--json');
const binaries = await ensureBinaries();
const controlPlane = new ControlPlane(binaries);
const started = Date.now();

// A write to a closed pipe fails asynchronously on the stream: never fatal here.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

function say(text: string): void {
  try {
    process.stderr.write(text);
  } catch {
    // nobody is listening any more
  }
}

/** Removes the state file only while it still announces this process, not a later dev cluster. */
async function forgetState(): Promise<void> {
  const state = devClusterStateFile();
  try {
    const { pid } = JSON.parse(await readFile(state, 'utf8')) as { pid?: number };
    if (pid === process.pid) await rm(state, { force: true });
  } catch {
    // absent or unreadable: nothing of ours to remove
  }
}

let stopping: Promise<void> | undefined;
function stop(reason: string): Promise<void> {
  stopping ??= (async () => {
    if (!json) say(`\n[control-plane] stopping (${reason})\n`);
    await controlPlane.stop();
    if (!json) await forgetState();
    process.exit(0);
  })();
  return stopping;
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => void stop(signal));
}
if (json) {
  process.stdin.on('end', () => void stop('parent gone'));
  process.stdin.on('close', () => void stop('parent gone'));
  process.stdin.resume();
}

try {
  const info = await controlPlane.start();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...info, binaries: binaries.source, seconds })}\n`);
  } else {
    const state = devClusterStateFile();
    await mkdir(dirname(state), { recursive: true });
    await writeFile(state, JSON.stringify({ ...info, pid: process.pid }));
    process.stdout.write(
      [
        `kube-apiserver ${info.version} and etcd ${info.etcdVersion} are up (${seconds}s, binaries from ${binaries.source})`,
        `kubeconfig: ${info.kubeconfig}`,
        `kubectl:    ${info.kubectl}`,
        '',
        `  export KUBECONFIG=${info.kubeconfig}`,
        '',
        'Press Ctrl-C to stop and remove everything.',
        '',
      ].join('\n'),
    );
  }
} catch (error) {
  say(`[control-plane] failed to start: ${(error as Error).message}\n`);
  process.exit(1);
}
