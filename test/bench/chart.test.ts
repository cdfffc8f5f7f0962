import { describe, expect, it } from 'vitest';
import { chartPanels, renderChart } from '../../bench/chart.ts';
import { newReport, type BenchReport, type Figure } from '../../bench/report.ts';

/** Well-formedness check small enough for SVG made of elements, attributes and escaped text. */
function wellFormed(xml: string): boolean {
  const body = xml.replace(/^<\?xml[^>]*\?>\s*/, '');
  const stack: string[] = [];
  let rest = body;
  const tag = /^<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/;
  while (rest.length > 0) {
    const text = rest.match(/^[^<]*/)?.[0] ?? '';
    if (/&(?!(amp|lt|gt|quot|#\d+);)/.test(text)) return false;
    rest = rest.slice(text.length);
    if (rest.length === 0) break;
    const m = rest.match(tag);
    if (!m) return false;
    const [whole, closing, name, , selfClosing] = m;
    if (closing) {
      if (stack.pop() !== name) return false;
    } else if (!selfClosing) {
      stack.push(name as string);
    }
    rest = rest.slice(whole.length);
    if (stack.length === 0 && rest.trim().length > 0) return false;
  }
  return stack.length === 0;
}

function reportWith(figures: Figure[]): BenchReport {
  const report = newReport('local engines', new Date('2026-11-26T07:00:00Z'));
  report.sections.push({ name: 'fanout', description: 'fan-out', status: 'ok', durationMs: 1, figures, phases: [] });
  return report;
}

const members = 'room members';
const figures: Figure[] = [
  { name: 'delivery p50', value: 40, unit: 'ms', at: { x: 1000, label: members } },
  { name: 'delivery p50', value: 12, unit: 'ms', at: { x: 10, label: members } },
  { name: 'delivery p50', value: 20, unit: 'ms', at: { x: 100, label: members } },
  { name: 'delivery p99', value: 90, unit: 'ms', at: { x: 10, label: members } },
  { name: 'cost per million messages', value: 3.5, unit: '$', at: { x: 10, label: members } },
  { name: 'cost per million messages', value: 31, unit: '$', at: { x: 100, label: members } },
  { name: 'pushes per message', value: 10, unit: 'count' },
];

describe('bench chart', () => {
  it('groups charted figures into panels by x label and unit, points sorted by x', () => {
    const panels = chartPanels(reportWith(figures));
    expect(panels.map((p) => `${p.unit} by ${p.xLabel}`)).toEqual(['ms by room members', '$ by room members']);
    expect(panels[0]?.series.map((s) => s.name)).toEqual(['fanout: delivery p50', 'fanout: delivery p99']);
    expect(panels[0]?.series[0]?.points).toEqual([{ x: 10, y: 12 }, { x: 100, y: 20 }, { x: 1000, y: 40 }]);
  });

  it('renders well-formed SVG with one path per series and the machine in the subtitle', () => {
    const svg = renderChart(reportWith(figures));
    expect(wellFormed(svg)).toBe(true);
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg).toContain('<svg xmlns="http://www.w3.org/2000/svg"');
    const paths = [...svg.matchAll(/<path class="series" data-series="([^"]+)" d="([^"]+)"/g)];
    expect(paths.map((m) => m[1])).toEqual(['fanout: delivery p50', 'fanout: delivery p99', 'fanout: cost per million messages']);
    // Three points make a path with one move and two lines.
    expect(paths[0]?.[2]).toMatch(/^M[\d.]+,[\d.]+ L[\d.]+,[\d.]+ L[\d.]+,[\d.]+$/);
    expect(svg).toContain('room members (log scale)');
    expect(svg).toContain(`Node ${process.version}`);
  });

  it('has a well-formedness check that rejects broken markup', () => {
    expect(wellFormed('<svg><g></svg>')).toBe(false);
    expect(wellFormed('<svg><text>a < b</text></svg>')).toBe(false);
    expect(wellFormed('<svg><text>a & b</text></svg>')).toBe(false);
    expect(wellFormed('<svg><g a="1"/><text>a &amp; b</text></svg>')).toBe(true);
  });

  it('escapes names and says so when nothing is charted', () => {
    const svg = renderChart(reportWith([{ name: 'a < b & "c"', value: 1, unit: 'ms', at: { x: 1, label: 'x' } }]));
    expect(wellFormed(svg)).toBe(true);
    expect(svg).toContain('a &lt; b &amp; &quot;c&quot;');
    const empty = renderChart(reportWith([]));
    expect(wellFormed(empty)).toBe(true);
    expect(empty).toContain('No charted figures');
  });
});
