// A function's declared access names PStates and depots by their declaration objects: the module
// refuses one it does not hold (even under a declared name), and a string is a type error.
import { describe, expect, it } from 'vitest';
import { defineModule, type DepotDecl, type ModuleDecl, type PStateDecl } from '../../lib/core/module.ts';

const things: DepotDecl = { name: 'things', partitionKey: 'id', shards: 1 };
const items: PStateDecl = { name: 'items', schema: null };

function moduleWith(access: NonNullable<ModuleDecl['functions'][string]['access']>): ModuleDecl {
  return {
    name: 'access-check',
    functions: { api: { entry: 'functions/http/api.ts', access } },
    depots: [things],
    pstates: [items],
    topologies: [],
    http: { routes: [], fallback: 'api' },
    websocket: { routes: [], routeSelectionField: 'action' },
  };
}

describe('declared access', () => {
  it('accepts the declared PState and depot objects', () => {
    expect(() => defineModule(moduleWith({ reads: [items], writes: [items], appends: [things] }))).not.toThrow();
  });

  it('refuses a PState or depot that is not the declared object, even with a declared name', () => {
    const lookalike: PStateDecl = { name: 'items', schema: null };
    expect(() => defineModule(moduleWith({ reads: [lookalike] }))).toThrow(/function "api" names undeclared pstate "items"/);
    expect(() => defineModule(moduleWith({ writes: [{ name: 'other', schema: null }] }))).toThrow(/undeclared pstate "other"/);
    expect(() => defineModule(moduleWith({ appends: [{ ...things }] }))).toThrow(/function "api" appends to undeclared depot "things"/);
  });

  it('does not take names (checked by the type checker: npm run typecheck)', () => {
    // @ts-expect-error a PState is named by its declaration, not its name
    const byName = () => defineModule(moduleWith({ reads: ['items'] }));
    expect(byName).toThrow();
  });
});
