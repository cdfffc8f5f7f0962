// A module's topologies without enhanced fan-out: every topology a standard consumer, and where a
// depot would then have more standard consumers than its shards serve, one dispatching topology
// reading it for all of them (lib/core/topology/dispatch.ts). The declaration stays the one source:
// the dispatching function's access is the union of the topologies' it replaces.
import type { Access, FunctionDecl, ModuleFragment, TopologyDecl } from './module.ts';

/** A topology that reads a depot for all of the depot's topologies (enhanced fan-out off). */
export interface DispatchDecl {
  /** The dispatching topology's name (its checkpoints and dead letters go by it). */
  name: string;
  depot: string;
  /** Its function's name and handler module (which must run exactly the depot's topologies). */
  function: string;
  entry: string;
}

type Parts = Required<Omit<ModuleFragment, 'services'>> & Pick<ModuleFragment, 'services'>;

const union = <T>(lists: readonly (readonly T[] | undefined)[]): T[] => [...new Set(lists.flatMap((l) => l ?? []))];

/**
 * How each kind of access unites: lists by set union, flags by any. Typed over every key of
 * Access, so a kind added there without a rule here does not compile (a dispatcher once lacked a
 * new flag, and its shard retried a record it could not apply).
 */
const uniting: { [K in keyof Required<Access>]: (values: readonly Access[K][]) => Access[K] } = {
  reads: union,
  writes: union,
  appends: union,
  notifies: union,
  pushes: (flags) => flags.some((f) => f === true),
  blobs: (flags) => flags.some((f) => f === true),
  deletesBlobs: (flags) => flags.some((f) => f === true),
};

/** The access of a function that does what all of these do. */
export function unionAccess(accesses: readonly (Access | undefined)[]): Access {
  const unite = <K extends keyof Access>(key: K) => (uniting[key] as (values: readonly Access[K][]) => Access[K])(accesses.map((a) => a?.[key]));
  return Object.fromEntries((Object.keys(uniting) as (keyof Access)[]).map((key) => [key, unite(key)])) as Access;
}

/** The one setting all dispatched topologies share (they are batched together). */
function shared<K extends keyof TopologyDecl>(topologies: readonly TopologyDecl[], key: K, depot: string): TopologyDecl[K] {
  const values = new Set(topologies.map((t) => t[key]));
  if (values.size !== 1) throw new Error(`the topologies of depot "${depot}" differ in ${key}: one consumer cannot serve them`);
  return topologies[0]![key];
}

export function withoutEnhancedFanOut<P extends Parts>(parts: P, dispatches: readonly DispatchDecl[]): P {
  let topologies: TopologyDecl[] = parts.topologies.map((t) => ({ ...t, consumer: 'standard' }));
  const functions: Record<string, FunctionDecl> = { ...parts.functions };
  for (const dispatch of dispatches) {
    const replaced = topologies.filter((t) => t.depot === dispatch.depot);
    if (!replaced.length) throw new Error(`dispatch "${dispatch.name}": depot "${dispatch.depot}" has no topologies`);
    const fns = replaced.map((t) => t.function);
    for (const fn of fns) {
      const serves = parts.routes.some((r) => r.function === fn) || parts.webSocketRoutes.some((r) => r.function === fn);
      if (serves) throw new Error(`dispatch "${dispatch.name}": function "${fn}" serves routes too`);
    }
    const decls = fns.map((fn) => functions[fn]!);
    for (const fn of fns) delete functions[fn];
    functions[dispatch.function] = {
      entry: dispatch.entry,
      access: unionAccess(decls.map((d) => d.access)),
      memoryMb: Math.max(...decls.map((d) => d.memoryMb ?? 0)) || undefined,
      timeoutSeconds: Math.max(...decls.map((d) => d.timeoutSeconds ?? 0)) || undefined,
      description: `The ${replaced.map((t) => t.name).join(', ')} topologies, on one consumer of the ${dispatch.depot} depot`,
    };
    topologies = [
      ...topologies.filter((t) => t.depot !== dispatch.depot),
      {
        name: dispatch.name,
        kind: shared(replaced, 'kind', dispatch.depot),
        depot: dispatch.depot,
        function: dispatch.function,
        batchSize: shared(replaced, 'batchSize', dispatch.depot),
        batchingWindowMs: shared(replaced, 'batchingWindowMs', dispatch.depot),
        maxRetries: shared(replaced, 'maxRetries', dispatch.depot),
        startingPosition: shared(replaced, 'startingPosition', dispatch.depot),
        parallelization: Math.max(...replaced.map((t) => t.parallelization ?? 1)),
        consumer: 'standard',
      },
    ];
  }
  return { ...parts, functions, topologies };
}
