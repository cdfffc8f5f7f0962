// Axon's depots as Kinesis meters them: with enhanced fan-out (the default) the latency-critical
// topologies get their own consumers and no depot has more than two standard ones; without it the
// users depot's topologies share one dispatching consumer that runs exactly them.
import { describe, expect, it } from 'vitest';
import { MAX_STANDARD_CONSUMERS_PER_SHARD, type ModuleDecl } from '../../lib/core/module.ts';
import { axon, axonModule } from '../../lib/matrix/module.ts';
import { handler as usersDepot } from '../../functions/streams/users-depot.ts';

const standardConsumers = (module: ModuleDecl, depot: string) => module.topologies.filter((t) => t.depot === depot && (t.consumer ?? 'standard') === 'standard');

describe('consumers of the depots', () => {
  it('gives the latency-critical topologies enhanced fan-out by default', () => {
    const enhanced = axon.topologies.filter((t) => t.consumer === 'enhanced').map((t) => t.name);
    expect(enhanced.sort()).toEqual(['keys', 'rooms', 'userData', 'users']);
    for (const depot of axon.depots) expect(standardConsumers(axon, depot.name).length, depot.name).toBeLessThanOrEqual(MAX_STANDARD_CONSUMERS_PER_SHARD);
    expect(standardConsumers(axon, 'users').map((t) => t.name).sort()).toEqual(['pushers', 'submissions']);
  });

  it('without enhanced fan-out, reads the users depot with one consumer running all its topologies', () => {
    const standard = axonModule({ enhancedFanOut: false });
    expect(standard.topologies.every((t) => t.consumer === 'standard')).toBe(true);
    for (const depot of standard.depots) expect(standardConsumers(standard, depot.name).length, depot.name).toBeLessThanOrEqual(MAX_STANDARD_CONSUMERS_PER_SHARD);
    expect(standardConsumers(standard, 'users').map((t) => t.function)).toEqual(['usersDepotTopology']);
    const dispatched = axon.topologies.filter((t) => t.depot === 'users').map((t) => t.name);
    expect([...usersDepot.topologies].sort()).toEqual(dispatched.sort());
    // The functions it replaces are gone; it may do what each of them may.
    for (const t of axon.topologies.filter((t) => t.depot === 'users')) expect(standard.functions).not.toHaveProperty(t.function);
    const access = standard.functions.usersDepotTopology!.access!;
    for (const t of axon.topologies.filter((t) => t.depot === 'users')) {
      const own = axon.functions[t.function]!.access ?? {};
      for (const p of own.writes ?? []) expect(access.writes).toContain(p);
      for (const d of own.appends ?? []) expect(access.appends).toContain(d);
    }
  });
});
