// An SVG line chart drawn from a bench report, without dependencies. Every figure with an `at`
// point belongs to a line (section + figure name); lines that share an x label and a unit share a
// panel, and panels are stacked. The x axis is logarithmic when x spans two decades (room sizes).
import type { BenchReport } from './report.ts';
import { formatNumber } from './report.ts';

export interface Series {
  name: string;
  points: { x: number; y: number }[];
}

export interface Panel {
  xLabel: string;
  unit: string;
  series: Series[];
}

const WIDTH = 760;
const PANEL_HEIGHT = 300;
const MARGIN = { left: 80, right: 24, top: 40, bottom: 90 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Groups the report's charted figures into panels (x label × unit) of series (section: figure). */
export function chartPanels(report: BenchReport): Panel[] {
  const panels = new Map<string, Panel>();
  for (const section of report.sections) {
    for (const figure of section.figures) {
      if (!figure.at || !Number.isFinite(figure.value)) continue;
      const panelKey = `${figure.at.label}\u0000${figure.unit}`;
      let panel = panels.get(panelKey);
      if (!panel) panels.set(panelKey, (panel = { xLabel: figure.at.label, unit: figure.unit, series: [] }));
      const name = `${section.name}: ${figure.name}`;
      let series = panel.series.find((s) => s.name === name);
      if (!series) panel.series.push((series = { name, points: [] }));
      series.points.push({ x: figure.at.x, y: figure.value });
    }
  }
  for (const panel of panels.values()) for (const s of panel.series) s.points.sort((a, b) => a.x - b.x);
  return [...panels.values()];
}

function ticks(min: number, max: number, count: number): number[] {
  if (max <= min) return [min];
  const step = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(step));
  const nice = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= step) ?? step;
  const out: number[] = [];
  for (let v = Math.ceil(min / nice) * nice; v <= max + nice * 1e-9; v += nice) out.push(Number(v.toPrecision(12)));
  return out;
}

function renderPanel(panel: Panel, top: number): string {
  const xs = panel.series.flatMap((s) => s.points.map((p) => p.x));
  const ys = panel.series.flatMap((s) => s.points.map((p) => p.y));
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const logX = xMin > 0 && xMax / xMin >= 100;
  const yMax = Math.max(...ys, 0) * 1.1 || 1;
  const yMin = Math.min(0, ...ys);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const fx = (x: number) => {
    if (xMax === xMin) return MARGIN.left + plotW / 2;
    const t = logX ? (Math.log10(x) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin)) : (x - xMin) / (xMax - xMin);
    return MARGIN.left + t * plotW;
  };
  const fy = (y: number) => top + MARGIN.top + plotH - ((y - yMin) / (yMax - yMin)) * plotH;
  const parts: string[] = [];
  parts.push(`<text x="${MARGIN.left}" y="${top + 24}" font-size="15" font-weight="bold">${escapeXml(`${panel.unit} by ${panel.xLabel}`)}</text>`);
  for (const y of ticks(yMin, yMax, 5)) {
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${fy(y).toFixed(1)}" y2="${fy(y).toFixed(1)}" stroke="#ddd"/>`);
    parts.push(`<text x="${MARGIN.left - 8}" y="${(fy(y) + 4).toFixed(1)}" font-size="11" text-anchor="end">${escapeXml(formatNumber(y))}</text>`);
  }
  const xTicks = logX
    ? ticks(Math.floor(Math.log10(xMin)), Math.ceil(Math.log10(xMax)), 4).map((e) => 10 ** e).filter((x) => x >= xMin && x <= xMax)
    : [...new Set(xs)];
  for (const x of xTicks.length > 0 ? xTicks : [...new Set(xs)]) {
    parts.push(`<text x="${fx(x).toFixed(1)}" y="${top + MARGIN.top + plotH + 16}" font-size="11" text-anchor="middle">${escapeXml(formatNumber(x))}</text>`);
  }
  parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${fy(yMin).toFixed(1)}" y2="${fy(yMin).toFixed(1)}" stroke="#333"/>`);
  parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${top + MARGIN.top}" y2="${top + MARGIN.top + plotH}" stroke="#333"/>`);
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${top + MARGIN.top + plotH + 34}" font-size="12" text-anchor="middle">${escapeXml(`${panel.xLabel}${logX ? ' (log scale)' : ''}`)}</text>`);
  panel.series.forEach((series, i) => {
    const color = COLORS[i % COLORS.length] ?? '#000';
    const d = series.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${fx(p.x).toFixed(1)},${fy(p.y).toFixed(1)}`).join(' ');
    parts.push(`<path class="series" data-series="${escapeXml(series.name)}" d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of series.points) {
      parts.push(`<circle cx="${fx(p.x).toFixed(1)}" cy="${fy(p.y).toFixed(1)}" r="3" fill="${color}"><title>${escapeXml(`${series.name}: ${formatNumber(p.y)} ${panel.unit} at ${formatNumber(p.x)}`)}</title></circle>`);
    }
    const legendY = top + MARGIN.top + plotH + 52 + Math.floor(i / 2) * 16;
    const legendX = MARGIN.left + (i % 2) * (plotW / 2);
    parts.push(`<rect x="${legendX}" y="${legendY - 9}" width="12" height="3" fill="${color}"/>`);
    parts.push(`<text x="${legendX + 18}" y="${legendY}" font-size="11">${escapeXml(series.name)}</text>`);
  });
  return parts.join('\n');
}

/** The whole chart as an SVG document. A report without charted figures gives a note instead. */
export function renderChart(report: BenchReport): string {
  const panels = chartPanels(report);
  const legendRows = (p: Panel) => Math.max(0, Math.ceil(p.series.length / 2) - 2) * 16;
  const heights = panels.map((p) => PANEL_HEIGHT + legendRows(p));
  const subtitle = `${report.date.slice(0, 10)} · ${report.machine.cores} × ${report.machine.cpuModel} · Node ${report.machine.node} · ${report.target}`;
  const total = 50 + (panels.length > 0 ? heights.reduce((a, b) => a + b, 0) : 60);
  const body: string[] = [];
  let top = 50;
  panels.forEach((panel, i) => {
    body.push(renderPanel(panel, top));
    top += heights[i] ?? PANEL_HEIGHT;
  });
  if (panels.length === 0) body.push(`<text x="20" y="80" font-size="13">No charted figures in this run.</text>`);
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${total}" viewBox="0 0 ${WIDTH} ${total}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="20" y="22" font-size="16" font-weight="bold">Axon bench</text>`,
    `<text x="20" y="40" font-size="11" fill="#555">${escapeXml(subtitle)}</text>`,
    ...body,
    `</svg>`,
    '',
  ].join('\n');
}
