// One consumer for several topologies of a depot: the function a standard consumer invokes when
// the depot's topologies do not each get a consumer of their own (enhanced fan-out off). Every
// topology sees the whole batch and takes only its own record kinds (`accepts`), as it would from
// a consumer of its own; each applies its records exactly once, so a batch retried for one
// topology's failure is applied again by the others without effect.
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { KinesisTopologyHandler } from './stream.ts';

export interface DispatchingHandler extends KinesisTopologyHandler {
  /** The topologies it serves, by name (tests compare them with the module declaration). */
  readonly topologies: readonly string[];
}

/**
 * A handler running every topology's handler on each batch, at the same time. The batch item
 * failures are the union (the mapping retries from the lowest); a handler that throws fails the
 * batch, after the others have finished, so none is left running past the invocation.
 */
export function dispatching(handlers: Readonly<Record<string, KinesisTopologyHandler>>): DispatchingHandler {
  const handle = async (event: KinesisStreamEvent, context: Context): Promise<KinesisStreamBatchResponse> => {
    const outcomes = await Promise.allSettled(Object.values(handlers).map((h) => h(event, context)));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
    const failures = new Set<string>();
    for (const o of outcomes) if (o.status === 'fulfilled') for (const f of o.value.batchItemFailures) failures.add(f.itemIdentifier);
    return { batchItemFailures: [...failures].map((itemIdentifier) => ({ itemIdentifier })) };
  };
  return Object.assign(handle, { topologies: Object.keys(handlers) });
}
