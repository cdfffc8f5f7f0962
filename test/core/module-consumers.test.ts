// A depot's shards serve at most two standard consumers (they share 5 GetRecords/s and 2 MB/s per
// shard): the module refuses more, counts enhanced fan-out consumers apart, and without enhanced
// fan-out a dispatching topology reads a crowded depot for all of its topologies.
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { withoutEnhancedFanOut } from '../../lib/core/consumers.ts';
import { defineModule, type ConsumerKind, type DepotDecl, type ModuleDecl, type PStateDecl, type TopologyDecl } from '../../lib/core/module.ts';
import { dispatching } from '../../lib/core/topology/dispatch.ts';

const log: DepotDecl = { name: 'log', partitionKey: 'id', shards: 2 };
const a: PStateDecl = { name: 'a', schema: null };
const b: PStateDecl = { name: 'b', schema: null };

const topology = (name: string, consumer?: ConsumerKind): TopologyDecl => ({
  name,
  kind: 'stream',
  depot: 'log',
  function: name,
  batchSize: 100,
  batchingWindowMs: 0,
  maxRetries: 3,
  parallelization: name === 'one' ? 4 : 2,
  ...(consumer ? { consumer } : {}),
});

function moduleWith(topologies: TopologyDecl[]): ModuleDecl {
  return {
    name: 'consumers',
    functions: { api: { entry: 'functions/http/api.ts' }, ...Object.fromEntries(topologies.map((t) => [t.function, { entry: `functions/${t.name}.ts`, access: { writes: [t.name === 'one' ? a : b] } }])) },
    depots: [log],
    pstates: [a, b],
    topologies,
    http: { routes: [], fallback: 'api' },
    websocket: { routes: [], routeSelectionField: 'action' },
  };
}

describe('standard consumers per shard', () => {
  it('accepts two standard consumers on a depot, and enhanced fan-out ones beside them', () => {
    expect(() => defineModule(moduleWith([topology('one'), topology('two')]))).not.toThrow();
    expect(() => defineModule(moduleWith([topology('one'), topology('two', 'standard'), topology('three', 'enhanced'), topology('four', 'enhanced')]))).not.toThrow();
  });

  it('refuses a third standard consumer on a depot', () => {
    expect(() => defineModule(moduleWith([topology('one'), topology('two'), topology('three', 'standard')]))).toThrow(
      /depot "log" has 3 standard consumers \(one, two, three\); its shards serve at most 2/,
    );
  });

  it('without enhanced fan-out, reads a depot for all its topologies with one dispatching topology of their joint access', () => {
    const decl = moduleWith([topology('one', 'enhanced'), topology('two', 'enhanced'), topology('three')]);
    const parts = { functions: decl.functions, routes: [], webSocketRoutes: [], topologies: decl.topologies };
    const standard = withoutEnhancedFanOut(parts, [{ name: 'all', depot: 'log', function: 'allTopology', entry: 'functions/all.ts' }]);
    expect(standard.topologies).toEqual([{ ...topology('all'), function: 'allTopology', parallelization: 4, consumer: 'standard', startingPosition: undefined }]);
    expect(Object.keys(standard.functions).sort()).toEqual(['allTopology', 'api']);
    expect(standard.functions.allTopology!.access).toMatchObject({ writes: [a, b] });
    expect(() => defineModule({ ...decl, ...standard })).not.toThrow();
  });
});

describe('a dispatching handler', () => {
  const event = { Records: [] } as unknown as KinesisStreamEvent;
  const context = {} as Context;

  it('runs every topology on the batch and reports the union of their failed records', async () => {
    const seen: string[] = [];
    const handler = dispatching({
      one: async () => (seen.push('one'), { batchItemFailures: [{ itemIdentifier: '5' }] }),
      two: async () => (seen.push('two'), { batchItemFailures: [{ itemIdentifier: '3' }, { itemIdentifier: '5' }] }),
    });
    expect(handler.topologies).toEqual(['one', 'two']);
    expect(await handler(event, context)).toEqual({ batchItemFailures: [{ itemIdentifier: '5' }, { itemIdentifier: '3' }] });
    expect(seen.sort()).toEqual(['one', 'two']);
  });

  it('fails the batch when one throws, once the others are done', async () => {
    let finished = false;
    const handler = dispatching({
      one: async () => {
        throw new Error('down');
      },
      two: async () => {
        await new Promise((r) => setTimeout(r, 20));
        finished = true;
        return { batchItemFailures: [] };
      },
    });
    await expect(handler(event, context)).rejects.toThrow('down');
    expect(finished).toBe(true);
  });
});
