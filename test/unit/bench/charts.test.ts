import { cumulative, escapeXml, renderCharts, thin } from '../../../test/bench/charts.ts';
import { oomKills } from '../../../test/bench/cgroup.ts';
import type { BenchResults } from '../../../test/bench/results.ts';
import { summarize } from '../../../test/bench/stats.ts';

describe('chart helpers', () => {
  it('turns values into a cumulative distribution in percent', () => {
    expect(cumulative([30, 10, 20, 40])).toEqual([
      [10, 25],
      [20, 50],
      [30, 75],
      [40, 100],
    ]);
  });

  it.each([
    [5, 10, [0, 1, 2, 3, 4]],
    [11, 3, [0, 5, 10]],
  ])('thins %i points to at most %i, keeping both ends', (length, max, expected) => {
    expect(
      thin(
        Array.from({ length }, (_, i) => i),
        max,
      ),
    ).toEqual(expected);
  });

  it('escapes what XML would read as markup', () => {
    expect(escapeXml(`a<b & "c"`)).toBe('a&#60;b &#38; &#34;c&#34;');
  });
});

describe('renderCharts', () => {
  const results = {
    startedAt: '2026-12-01T00:00:00.000Z',
    machine: { cpus: 2, node: 'v24.21.0' },
    rotations: [
      { n: 1000, rateLimit: undefined, latenciesMs: [0, 5, 900, 4000] },
      { n: 1000, rateLimit: 50, latenciesMs: [100, 19_000] },
    ],
    singleChange: { resources: 1000, latenciesMs: [11, 22], latency: summarize([11, 22]) },
    cgroup: { limitBytes: 64 * 1024 * 1024 },
    rssTraces: [
      {
        label: 'N=1000 <first>',
        startedAt: 0,
        peakBytes: 0,
        samples: Array.from({ length: 1000 }, (_, i) => [i * 100, (40 + i / 20) * 1024 * 1024]),
      },
    ],
  } as unknown as BenchResults;
  const svg = renderCharts(results);

  it('draws one line per latency series and per RSS trace, with a legend', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<polyline /g)).toHaveLength(4);
    for (const label of [
      'rotation N=1000, unlimited',
      'rotation N=1000, 50/s',
      'single change, 1000 idle',
      'N=1000 &#60;first&#62;',
      'cgroup limit',
      'peak target',
    ]) {
      expect(svg).toContain(label);
    }
  });

  it('keeps every point inside the picture and thins long traces', () => {
    const lines = [...svg.matchAll(/<polyline [^>]*points="([^"]*)"/g)].map((m) => m[1]!);
    for (const line of lines) {
      for (const point of line.split(' ')) {
        const [x, y] = point.split(',').map(Number);
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(900);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(630);
      }
    }
    expect(lines[3]!.split(' ')).toHaveLength(400);
  });
});

describe('oomKills', () => {
  it.each([
    ['oom_kill_disable 0\nunder_oom 0\noom_kill 3\n', 3],
    ['oom_kill_disable 0\nunder_oom 0\n', 0],
  ])('reads the oom_kill count of memory.oom_control', (text, expected) => {
    expect(oomKills(text)).toBe(expected);
  });
});
