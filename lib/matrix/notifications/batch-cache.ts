// Reads shared by the records of one topology batch (one Lambda invocation): members' push
// rulesets and room tallies (rooms' push settings live longer: setting-cache.ts). Keyed by the invocation's context object, so a
// cache never outlives its batch; a rule changed meanwhile applies from the next batch on.
import type { PushRuleset } from '../push-rules.ts';
import type { Tally } from '../notification-counts.ts';

export interface BatchCache {
  rulesets: Map<string, PushRuleset>;
  /** Room → its tally as this batch last wrote or read it (the room's lane is its only writer). */
  tallies: Map<string, Tally>;
}

const caches = new WeakMap<object, BatchCache>();

/** The batch's cache; a fresh, unshared one without a batch key. */
export function batchCache(batch: object | undefined): BatchCache {
  if (!batch) return { rulesets: new Map(), tallies: new Map() };
  let cache = caches.get(batch);
  if (!cache) {
    cache = { rulesets: new Map(), tallies: new Map() };
    caches.set(batch, cache);
  }
  return cache;
}
