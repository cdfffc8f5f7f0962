// Load with faults, reduced size: messages from several clients into shared rooms while the rooms
// topology's poller is stopped and restarted and kinesis-mock is killed and restarted (its own
// process, persisting into a temp dir, so that a restart finds the streams again). Every message
// must end up in every member's history exactly once and in order. Asserts counts, never timing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startKinesisMock, type RestartableEngine } from '../../lib/local/engines.ts';
import { startLocalRuntime, type LocalRuntime } from '../../lib/local/runtime.ts';
import { axon } from '../../lib/matrix/module.ts';
import { runFaultLoad } from '../../bench/load/faults.ts';
import { useTestEngines } from '../support/engines.ts';

let dataDir: string;
let kinesis: RestartableEngine;
let runtime: LocalRuntime;

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'CRITICAL';
  dataDir = mkdtempSync(join(tmpdir(), 'axon-faults-'));
  kinesis = await startKinesisMock({ dataDir });
  const env = useTestEngines('faults');
  runtime = await startLocalRuntime({
    module: axon,
    engines: { dynamoEndpoint: env.dynamoEndpoint, kinesisEndpoint: kinesis.endpoint },
    tableName: env.prefix,
    streamPrefix: env.prefix,
    httpPort: 0,
    wsPort: 0,
    serverName: 'localhost',
  });
});

afterAll(async () => {
  await runtime?.stop();
  await kinesis?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('300 messages from 10 clients through a poller restart and a kinesis-mock crash: none lost, none duplicated, in order', async () => {
  const result = await runFaultLoad({ runtime, restartKinesis: () => kinesis.restart(), messages: 300, clients: 10, rooms: 3, sendTimeoutMs: 6000, log: process.env.AXON_FAULTS_LOG ? console.log : undefined });
  expect(result.faults).toHaveLength(2);
  expect(result.failedSends).toBe(0);
  expect(result.lost).toBe(0);
  expect(result.duplicated).toBe(0);
  expect(result.outOfOrder).toBe(0);
}, 170_000);
