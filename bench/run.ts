// `npm run bench [section...] [--url URL] [--out DIR]`: runs benchmark sections, prints a table,
// writes bench/results/<date>.json and draws bench/results/<date>.svg from it.
//
// Without --url the runner starts a whole local Axon in this process (DynamoDB Local and
// kinesis-mock in memory, the HTTP and WebSocket APIs on free ports, the topologies' pollers) and
// stops it at the end; every Lambda invocation is recorded with its duration for the cost model.
// With --url, sections talk to that server and only the requests this process makes are counted.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { resetClients } from '../lib/core/aws-clients.ts';
import type { LocalRuntime } from '../lib/local/runtime.ts';
import { axon } from '../lib/matrix/module.ts';
import { startBenchAxon } from './local-axon.ts';
import { RequestAccounting } from './accounting.ts';
import { renderChart } from './chart.ts';
import { formatReport, newReport, readReport, reportFileName, writeReport } from './report.ts';
import { runSection } from './runner.ts';
import { sections as registry } from './sections/index.ts';
import type { BenchContext, BenchSection } from './section.ts';

const usage = `usage: npm run bench -- [section...] [--url URL] [--out DIR]
sections: ${registry.map((s) => s.name).join(', ')} (default: all)`;

async function main(): Promise<number> {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'CRITICAL';
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { url: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const unknown = positionals.filter((name) => !registry.some((s) => s.name === name));
  if (unknown.length > 0) {
    console.error(`unknown section(s): ${unknown.join(', ')}\n${usage}`);
    return 2;
  }
  const selected = positionals.length > 0 ? registry.filter((s) => positionals.includes(s.name)) : registry.filter((s) => !s.onlyWhenNamed);
  const outDir = values.out ? resolve(values.out) : fileURLToPath(new URL('./results/', import.meta.url));
  const url = values.url;

  const report = newReport(url ?? 'local Axon in this process (DynamoDB Local + kinesis-mock, in memory)', new Date(), !url);
  const accounting = new RequestAccounting();
  let runtime: LocalRuntime | undefined;
  const shared = selected.filter((s) => !s.ownsRuntime);
  const own = selected.filter((s) => s.ownsRuntime);
  const runAll = async (list: BenchSection[], context: Pick<BenchContext, 'wsUrl' | 'localAxon'>, target: string | undefined) => {
    for (const section of list) {
      console.log(`running ${section.name}: ${section.description}`);
      const result = await runSection(section, accounting, target, context);
      report.sections.push(result);
      console.log(`  ${result.status}${result.reason ? `: ${result.reason}` : ''}`);
    }
  };
  try {
    // Installed first so that the clients the runtime creates carry the middleware.
    accounting.install();
    if (!url && shared.length > 0) {
      console.log('starting a local Axon (DynamoDB Local and kinesis-mock in memory)…');
      // AXON_BENCH_SYNC=lambda: /sync served by the sync function (the default on AWS) instead of the sync service.
      runtime = await startBenchAxon(axon, accounting, process.env.AXON_BENCH_SYNC === 'lambda' ? { services: [] } : {});
      console.log(`  HTTP ${runtime.httpUrl}, WebSocket ${runtime.wsUrl}`);
    }
    await runAll(shared, runtime ? { wsUrl: runtime.wsUrl, localAxon: true } : {}, url ?? runtime?.httpUrl);
    await runtime?.stop();
    runtime = undefined;
    await runAll(own, { localAxon: !url }, url);
  } finally {
    await runtime?.stop();
    accounting.uninstall();
    resetClients();
  }

  console.log(`\n${formatReport(report)}\n`);
  const jsonPath = writeReport(report, outDir);
  const svgPath = join(outDir, reportFileName(report, 'svg'));
  // The chart is drawn from the JSON as written, so it can be redrawn from any saved report.
  writeFileSync(svgPath, renderChart(readReport(jsonPath)));
  console.log(`wrote ${jsonPath}\nwrote ${svgPath}`);
  return report.sections.some((s) => s.status === 'failed') ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
