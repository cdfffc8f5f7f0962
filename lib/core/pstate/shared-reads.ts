// Reads shared by work that runs together: inside a scope, a read of an item (GetItem, or an item
// of a BatchGetItem) or a page of a range (Query) of the listed PStates is sent once, and every
// other reader in the scope gets the same answer. For readers that may all see the state as of one
// moment — e.g. many syncs of one room's members woken by the same message, each bounded by the same
// watermarks read before the scope began — it turns N identical reads into one.
//
// Only what the scope's creator lists is shared, and a scope lives as long as the work it was made
// for: a reader that needs to see a later write (re-reading in a loop until something settles) must
// not run inside one (`inSharedReads` lets it check).
import { AsyncLocalStorage } from 'node:async_hooks';

export interface SharedReads {
  /** Run `fn` with its reads of the listed PStates shared with the scope's other readers. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Requests sent and reads answered from the scope (for benchmarks and tests). */
  readonly stats: { sent: number; shared: number };
}

interface Scope {
  pstates: ReadonlySet<string>;
  answers: Map<string, Promise<unknown>>;
  stats: { sent: number; shared: number };
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

/** A scope sharing reads of these PStates (by name). */
export function sharedReads(pstates: Iterable<string>): SharedReads {
  const scope: Scope = { pstates: new Set(pstates), answers: new Map(), stats: { sent: 0, shared: 0 } };
  return { run: (fn) => storage.run(scope, fn), stats: scope.stats };
}

/** Whether the caller runs inside a scope of shared reads. */
export function inSharedReads(): boolean {
  return storage.getStore() !== undefined;
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
): Promise<Map<string, I | null>> {
  const scope = storage.getStore();
  if (!scope) return fetch([...keys]);
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
