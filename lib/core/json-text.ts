// What a parsed JSON value can hold that no JSON text in UTF-8 can: a lone UTF-16 surrogate (JSON
// text may escape one, `"\ud800"`, and JSON.parse gives it back, but it has no UTF-8 form, so no
// canonical JSON, no DynamoDB string holds it) and a number past a double's range (`1e400` parses
// to Infinity, which JSON.stringify writes as `null`). Found by a walk of every string, key and
// number, without recursion so a document of any depth is walked.
import { isWellFormedString } from './pstate/schema.ts';

/** Where a value sits: its key or index under its parent (a linked list, so a step costs O(1)). */
interface Step {
  key: string | number;
  parent: Step | undefined;
}

function pathOf(step: Step | undefined): string {
  const keys: (string | number)[] = [];
  for (let s = step; s; s = s.parent) keys.push(s.key);
  return keys.reverse().reduce<string>((path, k) => (typeof k === 'number' ? `${path}[${k}]` : path ? `${path}.${k}` : k), '') || '(value)';
}

export interface JsonTextProblem {
  /** Where (`a.b[2]`): the string, key or number. */
  path: string;
  reason: string;
}

const LONE = 'contains a lone UTF-16 surrogate, which JSON in UTF-8 cannot hold';

/** The first string, object key or number of `value` that no JSON text holds, if any. */
export function unstorableJson(value: unknown): JsonTextProblem | undefined {
  const pending: [unknown, Step | undefined][] = [[value, undefined]];
  while (pending.length > 0) {
    const [v, at] = pending.pop()!;
    if (typeof v === 'string') {
      if (!isWellFormedString(v)) return { path: pathOf(at), reason: LONE };
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) return { path: pathOf(at), reason: 'is a number beyond what JSON numbers hold' };
    } else if (Array.isArray(v)) {
      v.forEach((e, i) => pending.push([e, { key: i, parent: at }]));
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, e] of Object.entries(v)) {
        const step = { key: k, parent: at };
        if (!isWellFormedString(k)) return { path: pathOf(step), reason: `has a key that ${LONE}` };
        pending.push([e, step]);
      }
    }
  }
  return undefined;
}
