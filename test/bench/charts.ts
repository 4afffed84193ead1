// The bench's picture, written next to its JSON: the distribution of the
// write → PUT latency per scenario (cumulative, log time axis) and the RSS of
// each operator process over its life. Plain SVG written here: two line
// charts need no library, and the file stays small and diffable.
import type { BenchResults } from './results.ts';
import { MIB, TARGETS } from './targets.ts';

export interface Series {
  label: string;
  /** [x, y] in data units. */
  points: [number, number][];
}

interface Axis {
  min: number;
  max: number;
  log: boolean;
  label: string;
  ticks: number[];
  format: (value: number) => string;
}

interface Panel {
  title: string;
  x: Axis;
  y: Axis;
  series: Series[];
  /** Horizontal reference lines. */
  marks: { y: number; label: string }[];
}

const WIDTH = 900;
const PANEL_HEIGHT = 300;
const MARGIN = { left: 70, right: 230, top: 40, bottom: 50 };
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2'];
const MAX_POINTS = 400;

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** At most `max` points, evenly picked, the first and last kept. */
export function thin<T>(points: readonly T[], max = MAX_POINTS): T[] {
  if (points.length <= max) return [...points];
  const step = (points.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, i) => points[Math.round(i * step)]!);
}

/** The cumulative distribution of `values`: [value, % at or below it]. */
export function cumulative(values: readonly number[]): [number, number][] {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.map((v, i) => [v, (100 * (i + 1)) / sorted.length]);
}

function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let t = 10 ** Math.floor(Math.log10(min)); t <= max * 1.0001; t *= 10) {
    if (t >= min / 1.0001) ticks.push(t);
  }
  return ticks;
}

function linearTicks(max: number, count: number): number[] {
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  return Array.from({ length: Math.floor(max / step) + 1 }, (_, i) => i * step);
}

function renderPanel(panel: Panel, top: number): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const x0 = MARGIN.left;
  const y0 = top + MARGIN.top;
  const scale = (axis: Axis, value: number, length: number): number => {
    const clamped = Math.min(Math.max(value, axis.min), axis.max);
    const f = axis.log
      ? (Math.log10(clamped) - Math.log10(axis.min)) / (Math.log10(axis.max) - Math.log10(axis.min))
      : (clamped - axis.min) / (axis.max - axis.min || 1);
    return f * length;
  };
  const px = (x: number) => (x0 + scale(panel.x, x, plotWidth)).toFixed(1);
  const py = (y: number) => (y0 + plotHeight - scale(panel.y, y, plotHeight)).toFixed(1);
  const out: string[] = [
    `<text x="${x0}" y="${top + 22}" font-size="15" font-weight="bold">${escapeXml(panel.title)}</text>`,
    `<rect x="${x0}" y="${y0}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`,
  ];
  for (const t of panel.x.ticks) {
    out.push(
      `<line x1="${px(t)}" y1="${y0}" x2="${px(t)}" y2="${y0 + plotHeight}" stroke="#eee"/>`,
      `<text x="${px(t)}" y="${y0 + plotHeight + 16}" text-anchor="middle">${escapeXml(panel.x.format(t))}</text>`,
    );
  }
  for (const t of panel.y.ticks) {
    out.push(
      `<line x1="${x0}" y1="${py(t)}" x2="${x0 + plotWidth}" y2="${py(t)}" stroke="#eee"/>`,
      `<text x="${x0 - 6}" y="${py(t)}" text-anchor="end" dominant-baseline="middle">${escapeXml(panel.y.format(t))}</text>`,
    );
  }
  out.push(
    `<text x="${x0 + plotWidth / 2}" y="${y0 + plotHeight + 36}" text-anchor="middle">${escapeXml(panel.x.label)}</text>`,
    `<text transform="translate(${x0 - 50} ${y0 + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escapeXml(panel.y.label)}</text>`,
  );
  for (const mark of panel.marks) {
    out.push(
      `<line x1="${x0}" y1="${py(mark.y)}" x2="${x0 + plotWidth}" y2="${py(mark.y)}" stroke="#555" stroke-dasharray="6 4"/>`,
      `<text x="${x0 + plotWidth - 4}" y="${Number(py(mark.y)) - 4}" text-anchor="end" fill="#555">${escapeXml(mark.label)}</text>`,
    );
  }
  panel.series.forEach((series, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const points = thin(series.points)
      .map(([x, y]) => `${px(x)},${py(y)}`)
      .join(' ');
    const legendY = y0 + 6 + i * 18;
    out.push(
      `<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${points}"/>`,
      `<line x1="${x0 + plotWidth + 12}" y1="${legendY}" x2="${x0 + plotWidth + 32}" y2="${legendY}" stroke="${colour}" stroke-width="3"/>`,
      `<text x="${x0 + plotWidth + 38}" y="${legendY}" dominant-baseline="middle">${escapeXml(series.label)}</text>`,
    );
  });
  return out.join('\n');
}

function latencyPanel(results: BenchResults): Panel {
  const series: Series[] = results.rotations.map((r) => ({
    label: `rotation N=${r.n}, ${r.rateLimit === undefined ? 'unlimited' : `${r.rateLimit}/s`}`,
    points: cumulative(r.latenciesMs.map((ms) => Math.max(ms, 1))),
  }));
  const single = results.singleChange;
  if (single) {
    series.push({
      label: `single change, ${single.resources} idle`,
      points: cumulative(single.latenciesMs.map((ms) => Math.max(ms, 1))),
    });
  }
  const longest = Math.max(10, ...series.flatMap((s) => s.points.map(([x]) => x)));
  const max = 10 ** Math.ceil(Math.log10(longest));
  return {
    title: 'Secret write → PUT with the new certificate (cumulative)',
    x: {
      min: 1,
      max,
      log: true,
      label: 'latency (log scale)',
      ticks: logTicks(1, max),
      format: (ms) => (ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`),
    },
    y: {
      min: 0,
      max: 100,
      log: false,
      label: '% of certificates',
      ticks: [0, 25, 50, 75, 100],
      format: (p) => `${p}%`,
    },
    series,
    marks: [],
  };
}

function rssPanel(results: BenchResults): Panel {
  const series = results.rssTraces.map((trace) => ({
    label: trace.label,
    points: trace.samples.map(([ms, bytes]): [number, number] => [ms / 1000, bytes / MIB]),
  }));
  const marks = [
    { y: TARGETS.steadyRssBytes / MIB, label: 'steady target' },
    { y: TARGETS.peakRssBytes / MIB, label: 'peak target' },
  ];
  const limit = results.cgroup?.limitBytes;
  if (limit !== undefined) marks.push({ y: limit / MIB, label: 'cgroup limit' });
  const longest = Math.max(1, ...series.flatMap((s) => s.points.map(([x]) => x)));
  const highest = Math.max(
    ...marks.map((m) => m.y),
    ...series.flatMap((s) => s.points.map(([, y]) => y)),
  );
  const yMax = Math.ceil((highest * 1.1) / 32) * 32;
  return {
    title: 'Operator RSS (every 100 ms, no GC forced)',
    x: {
      min: 0,
      max: longest,
      log: false,
      label: 'seconds since the process started',
      ticks: linearTicks(longest, 8),
      format: (s) => `${s}`,
    },
    y: {
      min: 0,
      max: yMax,
      log: false,
      label: 'MiB',
      ticks: linearTicks(yMax, 6),
      format: (m) => `${m}`,
    },
    series,
    marks,
  };
}

export function renderCharts(results: BenchResults): string {
  const panels = [latencyPanel(results), rssPanel(results)];
  const height = PANEL_HEIGHT * panels.length + 30;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    ...panels.map((panel, i) => renderPanel(panel, i * PANEL_HEIGHT)),
    `<text x="${MARGIN.left}" y="${height - 10}" fill="#777">npm run bench, ${escapeXml(results.startedAt)}; ${results.machine.cpus} CPUs, Node ${escapeXml(results.machine.node)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
