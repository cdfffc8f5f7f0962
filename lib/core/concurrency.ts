// A bounded pool: run an async step over items with at most `limit` in flight, the rest queued in
// order. Fan-outs (pushes, wake-ups, count writes, per-room reads) use it to keep a Lambda's open
// requests bounded whatever the number of items.

/**
 * How many AWS requests one request's fan-out (over the users, rooms or devices it names or belongs
 * to) keeps in flight: a few of the process' connections (256 locally, shared by every function; 50
 * in a Lambda container), so one request, however large, cannot queue everyone else behind it.
 */
export const PER_REQUEST_CONCURRENCY = 8;

/** `run` over every item, `limit` at a time; the results in the items' order. Rejects on the first failure. */
export async function inPool<T, R>(items: readonly T[], limit: number, run: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await run(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return out;
}
