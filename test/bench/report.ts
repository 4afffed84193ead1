// The two tables `npm run bench` prints: the targets with the measurements,
// and where the CPU went in each scenario.
import type { CpuUse } from './cpu.ts';
import type { BenchResults } from './results.ts';
import type { Verdict } from './targets.ts';

function columns(rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number>): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const render = (row: readonly string[]): string =>
    row
      .map((cell, column) =>
        rightAligned.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join('  ')
      .trimEnd();
  const rule = '-'.repeat(widths.reduce((sum, w) => sum + w + 2, -2));
  return [render(rows[0]!), rule, ...rows.slice(1).map(render)].join('\n');
}

/** Scenario, target, PASS/MISS (blank for information only), measurement. */
export function formatVerdicts(verdicts: readonly Verdict[]): string {
  return columns(
    [
      ['Scenario', 'Target', 'Result', 'Measured'],
      ...verdicts.map((v) => [
        v.scenario,
        v.target,
        v.outcome === 'info' ? '' : v.outcome,
        v.measured,
      ]),
    ],
    new Set(),
  );
}

interface CpuRow {
  scenario: string;
  /** Resources the operator worked on, for CPU per resource. */
  resources: number;
  cpu: CpuUse;
}

function cpuRows(results: BenchResults): CpuRow[] {
  const rows: CpuRow[] = [];
  for (const s of results.startup) {
    rows.push({ scenario: `Start-up, ${s.resources}`, resources: s.resources, cpu: s.cpu });
  }
  for (const r of results.rotations) {
    const limit = r.rateLimit === undefined ? 'unlimited' : `${r.rateLimit}/s`;
    rows.push({ scenario: `Mass rotation N=${r.n}, ${limit}`, resources: r.n, cpu: r.cpu });
  }
  if (results.restart) {
    const { resources, cpu } = results.restart;
    rows.push({ scenario: `Restart, ${resources}`, resources, cpu });
  }
  if (results.memory) {
    rows.push({
      scenario: `Adding ${results.memory.fillerSecrets} unrelated Secrets`,
      resources: 0,
      cpu: results.memory.cpu,
    });
  }
  return rows;
}

const s1 = (ms: number): string => (ms / 1000).toFixed(1);

/** How much of the machine other work took during the measured intervals. */
export function sharedMachineNote(results: BenchResults): string {
  const rows = cpuRows(results);
  const capacity = rows.reduce((sum, row) => sum + row.cpu.capacityMs, 0);
  const others = rows.reduce((sum, row) => sum + row.cpu.othersMs, 0);
  if (capacity === 0) return 'no CPU measured';
  const share = Math.round((100 * others) / capacity);
  return share >= 10
    ? `the machine was shared: other processes used ${share}% of its CPU during the measurements`
    : `other processes used ${share}% of the CPU during the measurements`;
}

/**
 * CPU seconds by process over each scenario's measured interval; "others" is
 * the rest of the machine's busy time (other people's work on a shared machine).
 */
export function formatCpu(results: BenchResults): string {
  return columns(
    [
      [
        'CPU seconds',
        'wall',
        'capacity',
        'operator',
        'per resource',
        'apiserver',
        'etcd',
        'bench+APIG sim',
        'others',
      ],
      ...cpuRows(results).map(({ scenario, resources, cpu }) => [
        scenario,
        s1(cpu.wallMs),
        s1(cpu.capacityMs),
        s1(cpu.operatorMs),
        resources > 0 ? `${(cpu.operatorMs / resources).toFixed(1)} ms` : '',
        s1(cpu.apiserverMs),
        s1(cpu.etcdMs),
        s1(cpu.benchMs),
        s1(cpu.othersMs),
      ]),
    ],
    new Set([1, 2, 3, 4, 5, 6, 7, 8]),
  );
}
