import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatReport, newReport, readReport, reportFileName, writeReport, type BenchReport } from '../../bench/report.ts';
import { percentile, runLoad } from '../../bench/stats.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function sampleReport(): BenchReport {
  const report = newReport('local engines', new Date('2026-11-26T07:00:00Z'));
  report.sections.push({
    name: 'engines',
    description: 'raw rates',
    status: 'ok',
    durationMs: 1234,
    figures: [
      { name: 'PutItem rate', value: 812.5, unit: 'ops/s', phase: 'PutItem ×8', at: { x: 8, label: 'concurrent requests' } },
      { name: 'PutItem p95', value: 12.25, unit: 'ms', phase: 'PutItem ×8' },
    ],
    phases: [{
      name: 'PutItem ×8',
      durationMs: 1000,
      operations: [{ service: 'DynamoDB', operation: 'PutItem', requests: 812, errors: 0, readCapacityUnits: 0, writeCapacityUnits: 812, kinesisRecords: 0, putPayloadUnits: 0, kinesisBytesIn: 0, kinesisBytesOut: 0, gbSeconds: 0 }],
    }],
  });
  report.sections.push({ name: 'send', description: 'send latency', status: 'skipped', reason: 'needs a running Axon server', durationMs: 0, figures: [], phases: [] });
  return report;
}

describe('bench report', () => {
  it('describes the machine and the prices used', () => {
    const report = newReport('x');
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.machine.memoryBytes).toBeGreaterThan(0);
    expect(report.machine.node).toBe(process.version);
    expect(report.machine.cpuModel.length).toBeGreaterThan(0);
    expect(report.machine.os.length).toBeGreaterThan(0);
    expect(report.prices).toEqual({ checkedOn: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), region: 'us-east-1' });
  });

  it('writes <date>.json that reads back to the same report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axon-bench-'));
    dirs.push(dir);
    const report = sampleReport();
    const path = writeReport(report, dir);
    expect(path).toBe(join(dir, '2026-11-26.json'));
    expect(reportFileName(report, 'svg')).toBe('2026-11-26.svg');
    const back = readReport(path);
    expect(back).toEqual(report);
    expect(back.sections[0]).toMatchObject({ name: 'engines', status: 'ok', figures: [{ unit: 'ops/s', at: { x: 8 } }, { unit: 'ms' }] });
    expect(back.sections[0]?.phases[0]?.operations[0]).toMatchObject({ service: 'DynamoDB', operation: 'PutItem', requests: 812, writeCapacityUnits: 812 });
  });

  it('prints figures, per-phase requests and skipped sections with their reason', () => {
    const text = formatReport(sampleReport());
    expect(text).toMatch(/PutItem rate\s+813\s+ops\/s\s+PutItem ×8/);
    expect(text).toMatch(/PutItem ×8\s+DynamoDB\.PutItem\s+812\s+0\s+0\s+812\s+0\s+0\s+0\.625$/m);
    expect(text).toContain('send: send latency — skipped (needs a running Axon server)');
  });
});

describe('bench statistics', () => {
  it('takes nearest-rank percentiles', () => {
    const samples = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
    expect(percentile(samples, 0.5)).toBe(5);
    expect(percentile(samples, 0.95)).toBe(10);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it('runs a bounded load and counts errors apart from latencies', async () => {
    const result = await runLoad(async (i) => {
      if (i % 4 === 0) throw new Error('fails');
    }, { concurrency: 3, durationMs: 60_000, maxOperations: 20 });
    expect(result.operations).toBe(20);
    expect(result.errors).toBe(5);
    expect(result.latencies).toHaveLength(15);
  });
});
