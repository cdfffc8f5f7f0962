// The sync function's declared access is used (see grants-used.test.ts): it serves /sync only
// where the sync service does not run, so here the runtime runs without the service, and the
// scenario's steps that make news for a sync run before /sync is asked for it in every way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { axon } from '../../lib/matrix/module.ts';
import { AccessRecorder } from '../support/access-use.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { accessScenario, checkedWithoutSyncService } from './access-scenario.ts';

/** The steps that make what a sync reads: rooms with threads and edits, profiles, typing and receipts, keys and to-device messages. */
const before = ['rooms: creation, membership, events, upgrade', 'profile (alice in rooms: her member events follow)', 'ephemeral: typing, presence, receipts, read markers (HTTP and WebSocket)', 'keys and to-device'];

describe('declared access in use, without the sync service', () => {
  let runtime: LocalRuntime;
  const recorder = new AccessRecorder();

  beforeAll(async () => {
    runtime = await startTestRuntime('grants-used-sync', { onAuthorized: recorder.record, sync: 'lambda' });
  });
  afterAll(() => runtime?.stop());

  const scenario = accessScenario(() => runtime, recorder);
  const steps = before.map((name) => {
    const found = scenario.lanes.flat().find((s) => s.name === name);
    if (!found) throw new Error(`the scenario has no step "${name}"`);
    return found;
  });
  it(scenario.setup.name, () => scenario.setup.run());
  it('steps that make news', async () => {
    for (const step of steps) await step.run();
  }, 240_000);
  it(scenario.syncOnLambda.name, () => scenario.syncOnLambda.run(), 120_000);
  it(scenario.finish.name, () => scenario.finish.run());

  it('the sync function uses every access it declares', () => {
    expect(Object.fromEntries(checkedWithoutSyncService.map((fn) => [fn, recorder.unused(axon, fn)]))).toEqual(Object.fromEntries(checkedWithoutSyncService.map((fn) => [fn, []])));
  });
});
