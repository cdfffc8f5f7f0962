// Reads shared by work that runs together: inside a scope, a read of an item (GetItem, or an item
// of a BatchGetItem) or a page of a range (Query) of the listed PStates is sent once, and every
// other reader in the scope gets the same answer. For readers that may all see the state as of one
// moment — e.g. many syncs of one room's members woken by the same message, each bounded by the same
// watermarks read before the scope began — it turns N identical reads into one.
//
// Only what the scope's creator lists is shared, and a scope lives as long as the work it was made
// for: a reader that needs to see a later write (re-reading in a loop until something settles) must
// not run inside one (`inSharedReads` lets it check).
//
// A scope may also coalesce: item reads its readers send in the same turn of the event loop (a
// GetItem, or the items a BatchGetItem still needs) go out together as one BatchGetItem per 100
// items, sent once the turn's other callbacks have run. Per-user items of many passes running at
// once (each user's counts, memberships, own member event) then cost a request per hundred users,
// not one each. Nothing waits for a timer: a lone reader's batch goes out after the current turn,
// and the busier the process, the more reads each turn gathers. Coalescing changes no answer: a
// read still starts after everything its reader awaited before it.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface SharedReads {
  /** Run `fn` with its reads of the listed PStates shared with the scope's other readers. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Requests sent and reads answered from the scope (for benchmarks and tests). */
  readonly stats: { sent: number; shared: number; coalesced: number };
}

export interface SharedReadsOptions {
  /** Gather the scope's item reads of each turn into shared BatchGetItems (see the top of this file). */
  coalesce?: boolean;
}

/** Item reads gathered in one turn for one kind of request (one consistency): sent together. */
interface PendingBatch {
  keys: { pk: unknown }[];
  answer: Promise<Map<string, unknown>>;
}

interface Scope {
  pstates: ReadonlySet<string>;
  answers: Map<string, Promise<unknown>>;
  stats: { sent: number; shared: number; coalesced: number };
  coalesce: boolean;
  /** By request kind (`group`), the batch still gathering reads this turn. */
  gathering: Map<string, PendingBatch>;
}

const storage = new AsyncLocalStorage<Scope>();

/**
 * Under test, answers handed to several readers are frozen: a reader that changed one would change
 * it for the others, and should fail loudly instead.
 */
const FREEZE = process.env.VITEST !== undefined;

function deepFreeze<T>(value: T): T {
  // Binary attributes (a json() value's text) are byte arrays, which cannot be frozen.
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

const frozen = <T>(answer: Promise<T>): Promise<T> => (FREEZE ? answer.then(deepFreeze) : answer);

/** A scope sharing reads of these PStates (by name), and coalescing item reads if asked. */
export function sharedReads(pstates: Iterable<string>, options: SharedReadsOptions = {}): SharedReads {
  const scope: Scope = {
    pstates: new Set(pstates),
    answers: new Map(),
    stats: { sent: 0, shared: 0, coalesced: 0 },
    coalesce: options.coalesce === true,
    gathering: new Map(),
  };
  return { run: (fn) => storage.run(scope, fn), stats: scope.stats };
}

/** Whether the caller runs inside a scope that shares reads (answers may predate the caller's start). */
export function inSharedReads(): boolean {
  return (storage.getStore()?.pstates.size ?? 0) > 0;
}

/** Whether item reads made here are coalesced: a GetItem is then better asked as part of a batch. */
export function coalescingReads(): boolean {
  return storage.getStore()?.coalesce === true;
}

/** The PState an item belongs to: its partition key up to the first `#`. */
function pstateOf(pk: unknown): string {
  const text = String(pk);
  const hash = text.indexOf('#');
  return hash < 0 ? text : text.slice(0, hash);
}

/** The scope to share a read of partition `pk` in, if any. */
function scopeFor(pk: unknown): Scope | undefined {
  const scope = storage.getStore();
  return scope?.pstates.has(pstateOf(pk)) ? scope : undefined;
}

/**
 * `send()` once per `key` in the current scope when partition `pk` is shared, else every time.
 * A failed read is not kept: the next reader sends it again.
 */
export function shareRead<T>(pk: unknown, key: string, send: () => Promise<T>): Promise<T> {
  const scope = scopeFor(pk);
  if (!scope) return send();
  const known = scope.answers.get(key) as Promise<T> | undefined;
  if (known) {
    scope.stats.shared++;
    return known;
  }
  scope.stats.sent++;
  const answer = frozen(send());
  scope.answers.set(key, answer);
  answer.catch(() => scope.answers.delete(key));
  return answer;
}

/**
 * Items by key for a BatchGetItem: those of shared partitions already read (or being read) in the
 * scope come from it, the rest are fetched with `fetch` (one request for all of them) and become
 * shared. `id` names an item; `keyOf` the memo key of a request for it.
 */
export async function shareItems<K extends { pk: unknown }, I>(
  keys: readonly K[],
  memoKey: (key: K) => string,
  fetch: (keys: K[]) => Promise<Map<string, I | null>>,
  id: (key: K) => string,
  /** Requests of the same group may be sent as one (a coalescing scope): same table, same consistency. */
  group: string,
): Promise<Map<string, I | null>> {
  const scope = storage.getStore();
  if (!scope) return fetch([...keys]);
  if (scope.coalesce) fetch = coalescedFetch(scope, group, fetch);
  const result = new Map<string, I | null>();
  const waiting: Promise<void>[] = [];
  const missing: K[] = [];
  for (const key of keys) {
    const known = scope.pstates.has(pstateOf(key.pk)) ? (scope.answers.get(memoKey(key)) as Promise<I | null> | undefined) : undefined;
    if (!known) {
      missing.push(key);
      continue;
    }
    scope.stats.shared++;
    waiting.push(known.then((item) => void result.set(id(key), item)));
  }
  if (missing.length) {
    scope.stats.sent++;
    const fetched = fetch(missing);
    for (const key of missing) {
      if (!scope.pstates.has(pstateOf(key.pk))) continue;
      const one = frozen(fetched.then((items) => items.get(id(key)) ?? null));
      scope.answers.set(memoKey(key), one);
      one.catch(() => scope.answers.delete(memoKey(key)));
    }
    waiting.push(fetched.then((items) => void items.forEach((v, k) => result.set(k, v))));
  }
  // One handler on everything at once: no rejection waits unhandled while another is awaited.
  await Promise.all(waiting);
  return result;
}

/**
 * `fetch` as a coalescing scope sends it: the keys join the batch gathering this turn for `group`,
 * which is fetched once the turn's callbacks have run. If the shared request fails, each reader
 * asks for its own keys alone, so a key that fails a request fails only its own reader.
 */
function coalescedFetch<K extends { pk: unknown }, I>(scope: Scope, group: string, fetch: (keys: K[]) => Promise<Map<string, I | null>>) {
  return (keys: K[]): Promise<Map<string, I | null>> => {
    let batch = scope.gathering.get(group) as PendingBatch | undefined;
    if (batch) scope.stats.coalesced++;
    else {
      const gathered: PendingBatch = { keys: [], answer: undefined as never };
      gathered.answer = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        scope.gathering.delete(group);
        return fetch(gathered.keys as K[]) as Promise<Map<string, unknown>>;
      });
      // Each reader handles its own outcome below; the shared promise must not count as unhandled.
      gathered.answer.catch(() => undefined);
      scope.gathering.set(group, (batch = gathered));
    }
    batch.keys.push(...keys);
    return (batch.answer as Promise<Map<string, I | null>>).catch(() => fetch(keys));
  };
}
