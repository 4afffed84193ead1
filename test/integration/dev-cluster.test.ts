// `npm run dev:cluster` stopped the way it is when its terminal or parent has
// gone: SIGTERM with stdout and stderr already closed (every write fails with
// EPIPE). Teardown must still remove etcd, kube-apiserver and their folder,
// and must leave alone the state file of a dev cluster started later.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBinaries } from '../support/control-plane/binaries.ts';
import { eventually } from '../support/eventually.ts';

const DAEMON = new URL('../support/control-plane/daemon.ts', import.meta.url).pathname;

let cache: string;
/** The daemon's control-plane folder, so a failed run can still kill what it left. */
let controlPlaneDir: string | undefined;

beforeAll(() => {
  cache = mkdtempSync(join(tmpdir(), 'apig-dev-cluster-test-'));
});

afterAll(() => {
  if (controlPlaneDir !== undefined) {
    for (const { pid } of processesMentioning(controlPlaneDir)) process.kill(pid, 'SIGKILL');
    rmSync(controlPlaneDir, { recursive: true, force: true });
  }
  rmSync(cache, { recursive: true, force: true });
});

/** Running processes whose command line mentions `text`. */
function processesMentioning(text: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(text)) found.push({ pid: Number(entry), cmdline });
    } catch {
      // exited while we looked
    }
  }
  return found;
}

it("SIGTERM with its output pipes closed still tears everything down, and keeps a later cluster's state file", async () => {
  const binaries = await ensureBinaries();
  const daemon = spawn(process.execPath, [DAEMON], {
    env: {
      ...process.env,
      APIG_OPERATOR_CACHE: cache,
      TEST_ASSET_ETCD: binaries.etcd,
      TEST_ASSET_KUBE_APISERVER: binaries.kubeApiserver,
      TEST_ASSET_KUBECTL: binaries.kubectl,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => daemon.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    daemon.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('are up')) resolve();
    });
    void exited.then(() => reject(new Error(`daemon exited before it was up: ${seen}`)));
  });
  const stateFile = join(cache, 'dev-cluster.json');
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { pid: number; dir: string };
  controlPlaneDir = state.dir;
  expect(state.pid).toBe(daemon.pid);
  expect(processesMentioning(state.dir).length).toBeGreaterThan(0);

  // Another dev cluster started later announced itself in the same file.
  const later = JSON.stringify({ ...state, pid: process.pid });
  writeFileSync(stateFile, later);

  daemon.stdout.destroy();
  daemon.stderr.destroy();
  daemon.kill('SIGTERM');
  expect(await exited).toBe(0);

  await eventually('etcd and kube-apiserver to be gone', () =>
    Promise.resolve(processesMentioning(state.dir).length === 0 ? true : undefined),
  );
  expect(existsSync(state.dir)).toBe(false);
  expect(readFileSync(stateFile, 'utf8')).toBe(later);
});
