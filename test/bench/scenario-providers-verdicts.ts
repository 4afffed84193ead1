// The providers scenario's verdicts and report lines (the run is scenario-providers.ts).
import type { CpuUse } from './cpu.ts';
import {
  PROVIDERS_ROTATION_RATIO,
  type ProviderCounts,
  type ProvidersResult,
} from './scenario-providers.ts';
import type { Verdict } from './targets.ts';

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const sum = (rows: readonly ProviderCounts[], pick: (r: ProviderCounts) => number): number =>
  rows.reduce((total, row) => total + pick(row), 0);

/** PUTs beyond one per resource and content, both phases, every provider (for the overall row). */
export function providersExtraPuts(result: ProvidersResult): number {
  const off = (rows: readonly ProviderCounts[]) => sum(rows, (r) => Math.abs(r.puts - r.resources));
  return off(result.firstSync) + off(result.rotation) + result.crossProviderPuts;
}

/** PUTs, the spread per provider, when the providers finished, 429s: one phase. */
function phaseText(rows: readonly ProviderCounts[], n: number): string {
  const puts = rows.map((r) => r.puts);
  const done = rows.map((r) => r.lastStoredMs ?? Number.NaN);
  return `PUTs ${sum(rows, (r) => r.puts)}/${n} (${Math.min(...puts)}-${Math.max(...puts)} per provider; providers done ${seconds(Math.min(...done))}-${seconds(Math.max(...done))}); 429s ${sum(rows, (r) => r.throttled)}`;
}

/** Where the machine's CPU went during the rotation (2 cores shared with the API server, etcd and APIG). */
function cpuText(cpu: CpuUse): string {
  const s = (ms: number) => (ms / 1000).toFixed(1);
  return `CPU s: operator ${s(cpu.operatorMs)}, apiserver ${s(cpu.apiserverMs)}, etcd ${s(cpu.etcdMs)}, bench+APIG ${s(cpu.benchMs)}, others ${s(cpu.othersMs)} of ${s(cpu.capacityMs)}`;
}

export function providersVerdicts(result: ProvidersResult | undefined): Verdict[] {
  if (result === undefined) return [];
  const { providers: p, resourcesPerProvider: m, rotationIdealMs: idealMs } = result;
  const n = p * m;
  const scenario = `Providers, ${p} × ${m} (${result.ratePerProvider}/s each)`;
  const exact = (rows: readonly ProviderCounts[]) => rows.every((r) => r.puts === r.resources);
  const ratio = result.rotationMs / idealMs;
  const throttled =
    sum(result.firstSync, (r) => r.throttled) + sum(result.rotation, (r) => r.throttled);
  return [
    {
      scenario: `${scenario}: first sync`,
      measured: `${seconds(result.firstSyncMs)} to all Ready = ${(result.firstSyncMs / idealMs).toFixed(2)} × N/R_total; ${phaseText(result.firstSync, n)}`,
      target: 'PUTs = resources, each to its own provider (time: info)',
      outcome: exact(result.firstSync) && result.crossProviderPuts === 0 ? 'info' : 'MISS',
    },
    {
      scenario: `${scenario}: mass rotation`,
      measured: `${seconds(result.rotationMs)} = ${ratio.toFixed(2)} × N/R_total (${seconds(idealMs)}); ${phaseText(result.rotation, n)}; peak RSS ${(result.peakRssBytes / 1024 / 1024).toFixed(1)} MiB; ${cpuText(result.rotationCpu)}`,
      target: `≤ ${PROVIDERS_ROTATION_RATIO} × N/R_total; PUTs = resources per provider`,
      outcome: ratio <= PROVIDERS_ROTATION_RATIO && exact(result.rotation) ? 'PASS' : 'MISS',
    },
    {
      scenario: `${scenario}: isolation`,
      measured: `${result.crossProviderPuts} PUTs to another endpoint; 429s ${throttled} in all`,
      target: '0 PUTs to another endpoint',
      outcome: result.crossProviderPuts === 0 ? 'PASS' : 'MISS',
    },
  ];
}
