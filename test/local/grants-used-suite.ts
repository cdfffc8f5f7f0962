// Every access a deployment's functions and services declare is used (see grants-used.test.ts):
// the access scenario runs against a whole local Axon of one deployment shape, each request the
// runtime's IAM check allowed is recorded (test/support/access-use.ts), and then every function
// and service that shape runs must have used every PState read and write, depot append, push,
// notice and blob grant it declares. Removing any one makes a request of the scenario fail locally.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModuleDecl } from '../../lib/core/module.ts';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { AccessRecorder } from '../support/access-use.ts';
import { startTestRuntime, type SyncRoute } from '../support/runtime.ts';
import { accessScenario } from './access-scenario.ts';

export interface DeploymentShape {
  label: string;
  module: ModuleDecl;
  /** Who serves /sync: the functions of the other route are not run, so not checked. */
  sync: SyncRoute;
  /** Declared accesses no path of the scenario uses yet, each with why (none today). */
  knownGaps?: Record<string, string[]>;
}

export function describeDeclaredAccessInUse(shape: DeploymentShape): void {
  describe(`declared access in use: ${shape.label}`, () => {
    let runtime: LocalRuntime;
    const recorder = new AccessRecorder();

    beforeAll(async () => {
      // With every option that needs access on: the grants cover them too.
      runtime = await startTestRuntime(`grants-used-${shape.sync}`, { module: shape.module, onAuthorized: recorder.record, sync: shape.sync, activityIndex: true });
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
    // After the lanes made its news.
    it(scenario.syncInEveryWay.name, () => scenario.syncInEveryWay.run(), 120_000);
    it(scenario.connectRacingACommit.name, () => scenario.connectRacingACommit.run());
    it(scenario.finish.name, () => scenario.finish.run());

    it('every function the deployment runs uses every access it declares', async () => {
      await runtime.mappings.idle();
      // Where the services run, a function all of whose routes they serve is not invoked.
      const routes = shape.module.http.routes;
      const served = (fn: string) => shape.sync === 'service' && routes.some((r) => r.function === fn) && routes.every((r) => r.function !== fn || r.service);
      const running = Object.keys(shape.module.functions).filter((fn) => !served(fn));
      const services = shape.sync === 'service' ? Object.keys(shape.module.services ?? {}) : [];
      const unused = Object.fromEntries(running.map((fn) => [fn, recorder.unused(shape.module, fn, services)] as const).filter(([, list]) => list.length));
      expect(unused).toEqual(shape.knownGaps ?? {});
    });

    if (shape.sync === 'service') {
      it('every service uses every access it declares', () => {
        const services = Object.keys(shape.module.services ?? {});
        expect(Object.fromEntries(services.map((s) => [s, recorder.unusedByService(shape.module, s)]))).toEqual(Object.fromEntries(services.map((s) => [s, []])));
      });
    }
  });
}
