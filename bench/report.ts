// The bench report: what ran, on which machine, every figure with its unit, and the AWS requests of
// each phase. Printed as tables and written as bench/results/<date>.json (the chart is drawn from it).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, type as osType, release, arch } from 'node:os';
import { join } from 'node:path';
import type { OperationCount } from './accounting.ts';
import { usageCost, usageFromAccounting } from './cost-model.ts';
import { PRICES_CHECKED_ON, PRICES_REGION } from './pricing.ts';
import type { ChartPoint } from './section.ts';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryBytes: number;
  node: string;
  os: string;
}

export interface Figure {
  name: string;
  value: number;
  unit: string;
  phase?: string;
  at?: ChartPoint;
}

export interface PhaseResult {
  name: string;
  durationMs: number;
  operations: OperationCount[];
}

export interface SectionResult {
  name: string;
  description: string;
  status: 'ok' | 'skipped' | 'failed';
  /** Why a section was skipped or how it failed. */
  reason?: string;
  durationMs: number;
  figures: Figure[];
  phases: PhaseResult[];
}

export interface BenchReport {
  /** When the run started, ISO 8601. */
  date: string;
  /** What was measured: the local engines started by the runner, or a URL. */
  target: string;
  /** True when the counts come from DynamoDB Local and kinesis-mock (see AccountingOptions). */
  localEngines: boolean;
  machine: MachineInfo;
  prices: { checkedOn: string; region: string };
  sections: SectionResult[];
}

export function machineInfo(): MachineInfo {
  const cpu = cpus();
  return {
    cores: cpu.length,
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    memoryBytes: totalmem(),
    node: process.version,
    os: `${osType()} ${release()} ${arch()}`,
  };
}

export function newReport(target: string, date = new Date(), localEngines = true): BenchReport {
  return { date: date.toISOString(), target, localEngines, machine: machineInfo(), prices: { checkedOn: PRICES_CHECKED_ON, region: PRICES_REGION }, sections: [] };
}

/** `<YYYY-MM-DD>.<extension>` of the run's date (UTC). A second run on a day replaces the first. */
export function reportFileName(report: BenchReport, extension: 'json' | 'svg'): string {
  return `${report.date.slice(0, 10)}.${extension}`;
}

export function writeReport(report: BenchReport, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, reportFileName(report, 'json'));
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  return path;
}

export function readReport(path: string): BenchReport {
  return JSON.parse(readFileSync(path, 'utf8')) as BenchReport;
}

/** A number as people read it: 3 significant digits, thousands separated. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 1 ? 2 : 3 - Math.floor(Math.log10(Math.abs(value)));
  return value.toLocaleString('en-US', { maximumFractionDigits: Math.min(digits, 8) });
}

function table(header: string[], rows: string[][], rightAligned: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (rightAligned[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function formatSection(section: SectionResult, localEngines = true): string {
  const title = `== ${section.name}: ${section.description} — ${section.status}${section.reason ? ` (${section.reason})` : ''}, ${(section.durationMs / 1000).toFixed(1)} s`;
  const parts = [title];
  if (section.figures.length > 0) {
    parts.push(table(
      ['figure', 'value', 'unit', 'phase'],
      section.figures.map((f) => [f.name, formatNumber(f.value), f.unit, f.phase ?? '']),
      [false, true, false, false],
    ));
  }
  const rows = section.phases.flatMap((phase) =>
    phase.operations.map((op) => [
      phase.name,
      `${op.service}.${op.operation}`,
      String(op.requests),
      String(op.errors),
      formatNumber(op.readCapacityUnits),
      formatNumber(op.writeCapacityUnits),
      String(op.kinesisRecords),
      String(op.putPayloadUnits),
      op.requests > 0 ? formatNumber((usageCost(usageFromAccounting([op], { transactionalUnitsReportedOnce: localEngines })).total / op.requests) * 1e6) : '',
    ]),
  );
  if (rows.length > 0) {
    // $/1M req: what a million such requests would cost at the listed prices (capacity and payload
    // units as measured here, transactions at AWS's two units per item; Kinesis in on-demand mode;
    // per-request Lambda/API costs not included).
    parts.push(table(
      ['phase', 'AWS operation', 'requests', 'errors', 'RCU', 'WCU', 'records', 'PUT units', '$/1M req'],
      rows,
      [false, false, true, true, true, true, true, true, true],
    ));
  }
  return parts.join('\n\n');
}

export function formatReport(report: BenchReport): string {
  const m = report.machine;
  const head = [
    `Axon bench ${report.date} against ${report.target}`,
    `machine: ${m.cores} × ${m.cpuModel}, ${(m.memoryBytes / 1024 ** 3).toFixed(1)} GiB, Node ${m.node}, ${m.os}`,
    `prices: ${report.prices.region} list prices checked on ${report.prices.checkedOn} (see bench/pricing.ts)`,
  ].join('\n');
  return [head, ...report.sections.map((s) => formatSection(s, report.localEngines))].join('\n\n');
}
