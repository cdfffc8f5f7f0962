// `npm run bench [section...] [--url URL] [--out DIR]`: runs benchmark sections, prints a table,
// writes bench/results/<date>.json and draws bench/results/<date>.svg from it.
//
// Without --url the runner starts DynamoDB Local and kinesis-mock in memory and stops them at the
// end. Sections that need a running Axon HTTP server get ctx.url; the runner does not start one
// yet, so without --url those sections skip themselves with their reason (never fake numbers).
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { resetClients } from '../lib/core/aws-clients.ts';
import { startEngines, type Engines } from '../lib/local/engines.ts';
import { RequestAccounting } from './accounting.ts';
import { renderChart } from './chart.ts';
import { formatReport, newReport, readReport, reportFileName, writeReport } from './report.ts';
import { runSection } from './runner.ts';
import { sections as registry } from './sections/index.ts';

const usage = `usage: npm run bench -- [section...] [--url URL] [--out DIR]
sections: ${registry.map((s) => s.name).join(', ')} (default: all)`;

async function main(): Promise<number> {
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
  const selected = positionals.length > 0 ? registry.filter((s) => positionals.includes(s.name)) : registry;
  const outDir = values.out ? resolve(values.out) : fileURLToPath(new URL('./results/', import.meta.url));
  const url = values.url;

  const report = newReport(url ?? 'local engines (DynamoDB Local + kinesis-mock, in memory)', new Date(), !url);
  const accounting = new RequestAccounting();
  let engines: Engines | undefined;
  try {
    if (!url) {
      console.log('starting DynamoDB Local and kinesis-mock (in memory)…');
      engines = await startEngines({});
      process.env.AXON_DYNAMODB_ENDPOINT = engines.dynamo.endpoint;
      process.env.AXON_KINESIS_ENDPOINT = engines.kinesis.endpoint;
      resetClients();
    }
    accounting.install();
    for (const section of selected) {
      console.log(`running ${section.name}: ${section.description}`);
      const result = await runSection(section, accounting, url);
      report.sections.push(result);
      console.log(`  ${result.status}${result.reason ? `: ${result.reason}` : ''}`);
    }
  } finally {
    accounting.uninstall();
    resetClients();
    await engines?.stop();
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
