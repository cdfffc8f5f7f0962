// Lone UTF-16 surrogates in a parsed JSON value. JSON text may escape one (`"\ud800"`) and
// JSON.parse gives it back, but it has no UTF-8 form: no UTF-8 JSON (Matrix's canonical JSON, a
// DynamoDB string) can hold it. Finding one is a walk of every string and key, without recursion
// so a document of any depth is walked.
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

/** The path (`a.b[2]`) of the first string or object key holding a lone surrogate, if any. */
export function loneSurrogatePath(value: unknown): string | undefined {
  const pending: [unknown, Step | undefined][] = [[value, undefined]];
  while (pending.length > 0) {
    const [v, at] = pending.pop()!;
    if (typeof v === 'string') {
      if (!isWellFormedString(v)) return pathOf(at);
    } else if (Array.isArray(v)) {
      v.forEach((e, i) => pending.push([e, { key: i, parent: at }]));
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, e] of Object.entries(v)) {
        const step = { key: k, parent: at };
        if (!isWellFormedString(k)) return pathOf(step);
        pending.push([e, step]);
      }
    }
  }
  return undefined;
}
