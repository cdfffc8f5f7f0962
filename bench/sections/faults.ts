// Load with faults at full size (issue 7 item 4): 10,000 messages from 50 clients (AXON_BENCH_FAULT_MESSAGES,
// AXON_BENCH_FAULT_CLIENTS) through a rooms-poller restart and a kinesis-mock crash. It starts its own
// Axon with kinesis-mock persisting to a temp dir (a restart must find the streams again), so the
// runner runs it after stopping its shared one. Fails unless lost = duplicated = reordered = 0.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resetClients } from '../../lib/core/aws-clients.ts';
import { startEngines } from '../../lib/local/engines.ts';
import { startLocalRuntime } from '../../lib/local/runtime.ts';
import { axon } from '../../lib/matrix/module.ts';
import { runFaultLoad } from '../load/faults.ts';
import { SkipSection, type BenchSection } from '../section.ts';
import { envNumber } from './matrix-api.ts';

export const faultsSection: BenchSection = {
  name: 'faults',
  description: 'messages from many clients through a poller restart and a kinesis-mock crash: lost / duplicated must be 0',
  onlyWhenNamed: true,
  ownsRuntime: true,
  async run(ctx) {
    if (!ctx.localAxon) throw new SkipSection('kills local processes: runs only without --url');
    const saved = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('AXON_')));
    const dataDir = mkdtempSync(join(tmpdir(), 'axon-bench-faults-'));
    const engines = await startEngines({ dataDir });
    try {
      const runtime = await startLocalRuntime({
        module: axon,
        engines: { dynamoEndpoint: engines.dynamo.endpoint, kinesisEndpoint: engines.kinesis.endpoint },
        httpPort: 0,
        wsPort: 0,
        tableName: 'axon-faults',
        streamPrefix: 'axon-faults',
      });
      try {
        const result = await ctx.phase('load with faults', () =>
          runFaultLoad({
            runtime,
            restartKinesis: () => engines.kinesis.restart(),
            messages: envNumber('AXON_BENCH_FAULT_MESSAGES', 10_000),
            clients: envNumber('AXON_BENCH_FAULT_CLIENTS', 50),
            rooms: envNumber('AXON_BENCH_FAULT_ROOMS', 5),
            log: ctx.log,
          }),
        );
        for (const key of ['messages', 'clients', 'rooms', 'lost', 'duplicated', 'outOfOrder', 'retries', 'failedSends'] as const) {
          ctx.figure(key, result[key], 'count', 'load with faults');
        }
        ctx.figure('messages per second (with faults)', result.messagesPerSecond, 'messages/s', 'load with faults');
        for (const fault of result.faults) ctx.log(fault);
        if (result.lost + result.duplicated + result.outOfOrder + result.failedSends > 0) {
          throw new Error(`lost ${result.lost}, duplicated ${result.duplicated}, out of order ${result.outOfOrder}, failed sends ${result.failedSends}`);
        }
      } finally {
        await runtime.stop();
      }
    } finally {
      await engines.stop();
      rmSync(dataDir, { recursive: true, force: true });
      for (const key of Object.keys(process.env)) if (key.startsWith('AXON_') && !(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
      resetClients();
    }
  },
};
