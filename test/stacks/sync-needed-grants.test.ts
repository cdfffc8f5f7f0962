// The topologies that send sync_needed frames (lib/matrix/push/sync-needed.ts) are granted what a
// push needs: the users' connections, forgetting gone ones, and @connections. Without it they
// would fail on AWS while passing locally (the local runtime does not enforce grants).
import { describe, expect, it } from 'vitest';
import { axon } from '../../lib/matrix/module.ts';
import { functionGrants } from '../../lib/stacks/grants.ts';

describe.each(['keysTopology', 'userDataTopology'])('%s sends sync_needed frames', (fn) => {
  it('reads connections, writes connections and their owners, and pushes', () => {
    const grants = functionGrants(axon, fn);
    expect(grants.pushes).toBe(true);
    expect(grants.readKeys).toContain('connections#*');
    expect(grants.writeKeys).toEqual(expect.arrayContaining(['connections#*', 'connectionOwners#*']));
  });
});
