// Every access a function declares is used: with each request the local runtime's IAM check
// allowed recorded (test/support/access-use.ts), a scenario drives the HTTP API, the WebSocket API
// and through them every topology along their real paths, and then every function of the module
// has no declared PState read or write, depot append, push or notice that no allowed request used.
// So removing any one of them makes one of these requests fail locally with AccessDenied
// (test/local/grants.test.ts shows such failures). The functions are the module's own: one added
// later fails here until a scenario step uses what it declares.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { axon } from '../../lib/matrix/module.ts';
import { AccessRecorder } from '../support/access-use.ts';
import { startTestRuntime } from '../support/runtime.ts';
import { accessScenario, checkedWithoutSyncService } from './access-scenario.ts';

/**
 * Declared accesses no path of the scenario uses yet, each with why: the list shrinks as paths
 * are added (a gap closed fails here until it is taken off).
 */
const knownGaps: Record<string, string[]> = {
  // The local blob store is a directory: media makes no S3 request to check, nor does the users
  // topology deleting an admin's deleted media.
  media: ['blobs'],
  usersTopology: ['deletes blobs'],
  // Read only when a room's newest record is past its lane's watermark as $connect reads them (a
  // commit racing the connect: lib/matrix/push/session.ts newestSeqAtOrBelow).
  wsConnect: ['reads roomTimeline'],
};

describe('declared access in use', () => {
  let runtime: LocalRuntime;
  const recorder = new AccessRecorder();

  beforeAll(async () => {
    runtime = await startTestRuntime('grants-used', { onAuthorized: recorder.record });
  });
  afterAll(() => runtime?.stop());

  const scenario = accessScenario(() => runtime, recorder);
  it(scenario.setup.name, () => scenario.setup.run());
  it('the scenario, its lanes side by side', async () => {
    await Promise.all(
      scenario.lanes.map(async (lane) => {
        for (const step of lane) await step.run().catch((e: unknown) => Promise.reject(new Error(`${step.name}: ${(e as Error).message}`, { cause: e })));
      }),
    );
  }, 240_000);
  it(scenario.finish.name, () => scenario.finish.run());

  it('every function of the module uses every access it declares', async () => {
    await runtime.mappings.idle();
    const unused = Object.fromEntries(
      Object.keys(axon.functions)
        // /sync goes to the sync service here: grants-used-sync.test.ts checks the sync function.
        .filter((fn) => !checkedWithoutSyncService.includes(fn))
        .map((fn) => [fn, recorder.unused(axon, fn)] as const)
        .filter(([, list]) => list.length),
    );
    expect(unused).toEqual(knownGaps);
  });
});
