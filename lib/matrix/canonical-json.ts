// Canonical JSON (Matrix appendix "Canonical JSON"): the byte-exact form that event ids and
// hashes are computed over. Keys sorted by Unicode code point, no insignificant whitespace,
// integers only, in the range JSON numbers can represent exactly.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

const MAX_SAFE = Number.MAX_SAFE_INTEGER; // 2^53 - 1

/** Orders strings by Unicode code point (JS's default sort orders by UTF-16 code unit). */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const ca = ia.next();
    const cb = ib.next();
    if (ca.done) return cb.done ? 0 : -1;
    if (cb.done) return 1;
    const da = ca.value.codePointAt(0)!;
    const db = cb.value.codePointAt(0)!;
    if (da !== db) return da - db;
  }
}

export class CanonicalJsonError extends Error {
  override name = 'CanonicalJsonError';
}

/** The text of a scalar; throws CanonicalJsonError for values JSON cannot carry canonically. */
function scalar(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isInteger(value) || Math.abs(value) > MAX_SAFE) {
        throw new CanonicalJsonError(`not an integer in canonical JSON range: ${value}`);
      }
      // -0 serialises as 0, as JSON.stringify does.
      return JSON.stringify(value);
    case 'string':
      // JSON.stringify escapes exactly what canonical JSON requires: `"`, `\`, and control
      // characters (short forms \b \f \n \r \t, else \u00xx lower-case), and leaves the rest as UTF-8.
      return JSON.stringify(value);
    default:
      throw new CanonicalJsonError(`value of type ${typeof value} is not JSON`);
  }
}

/** Text to emit as it is, told apart from values still to serialise on the work stack. */
class Literal {
  constructor(readonly text: string) {}
}

/**
 * The canonical JSON text of a value; throws CanonicalJsonError for values JSON cannot carry
 * canonically. Iterative (an explicit work stack, not recursion), so a document of any depth is
 * serialised without overflowing the call stack.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  const work: unknown[] = [value];
  while (work.length > 0) {
    const item = work.pop();
    if (item instanceof Literal) {
      out.push(item.text);
    } else if (Array.isArray(item)) {
      out.push('[');
      work.push(new Literal(']'));
      for (let i = item.length - 1; i >= 0; i--) {
        work.push(item[i]);
        if (i > 0) work.push(new Literal(','));
      }
    } else if (typeof item === 'object' && item !== null) {
      const entries = Object.entries(item as Record<string, unknown>).filter(([, v]) => v !== undefined);
      entries.sort(([a], [b]) => compareCodePoints(a, b));
      out.push('{');
      work.push(new Literal('}'));
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, v] = entries[i]!;
        work.push(v, new Literal(`${i > 0 ? ',' : ''}${JSON.stringify(k)}:`));
      }
    } else {
      out.push(scalar(item));
    }
  }
  return out.join('');
}

/** True when a value only holds what canonical JSON accepts (used to refuse float content). */
export function isCanonicalJsonValue(value: unknown): boolean {
  try {
    canonicalJson(value);
    return true;
  } catch (error) {
    if (error instanceof CanonicalJsonError) return false;
    throw error;
  }
}
