// Item keys of PStates on the one table. DynamoDB orders sort keys by the UTF-8 bytes of the string;
// every encoding here is chosen so that this byte order is the order of the structure:
//
// - a string key or record field orders by the UTF-8 bytes of the raw string (= code point order);
// - a number key orders numerically (IEEE-754 bits made order-preserving, 16 hex digits);
// - a vector index orders numerically (16 decimal digits, zero-padded).
//
// Each encoded segment ends with TERM (U+0001) and no encoded content contains TERM, MARK or a raw
// character below U+0004 (those are escaped after ESC), so segments are prefix-free: a key that is a
// prefix of another sorts first, and a structure's elements are contiguous.
//
// pk = `<pstate>` or, when the top level is a map, `<pstate>#<top-level key>` (a PState name has
// no `#`, so the raw key after the first `#` is unambiguous).
// sk = `.` for the partition's root item; for an element item of the structure at path P (the
// steps from the partition root, record fields included) with key k: `.` enc(P...) MARK enc(k).
// The elements of one structure therefore all start with `.` enc(P...) MARK and nothing else does.
import type { KeySchema } from './schema.ts';

export const TERM = '\u0001';
export const MARK = '\u0002';
const ESC = '\u0003';
export const ROOT_SK = '.';

export function encodeString(raw: string): string {
  // Characters U+0000..U+0003 become ESC + U+0004..U+0007: below every unescaped character, above TERM.
  // eslint-disable-next-line no-control-regex -- the escaped characters are control characters
  return raw.replace(/[\u0000-\u0003]/g, (c) => ESC + String.fromCharCode(c.charCodeAt(0) + 4)) + TERM;
}

export function decodeString(encoded: string): string {
  if (!encoded.endsWith(TERM)) throw new Error('not an encoded string segment');
  // eslint-disable-next-line no-control-regex -- see encodeString
  return encoded.slice(0, -1).replace(/\u0003([\u0004-\u0007])/g, (_, c: string) => String.fromCharCode(c.charCodeAt(0) - 4));
}

/** 16 hex digits whose byte order is the numeric order of the double (-0 is 0). */
export function numberOrderHex(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`cannot encode ${n} as a key`);
  const buf = Buffer.alloc(8);
  buf.writeDoubleBE(n === 0 ? 0 : n);
  if (buf[0]! & 0x80) {
    for (let i = 0; i < 8; i++) buf[i] = ~buf[i]! & 0xff;
  } else {
    buf[0] = buf[0]! | 0x80;
  }
  return buf.toString('hex');
}

export function numberFromOrderHex(hex: string): number {
  const buf = Buffer.from(hex, 'hex');
  if (buf[0]! & 0x80) {
    buf[0] = buf[0]! & 0x7f;
  } else {
    for (let i = 0; i < 8; i++) buf[i] = ~buf[i]! & 0xff;
  }
  return buf.readDoubleBE(0);
}

export function encodeNumber(n: number): string {
  return numberOrderHex(n) + TERM;
}

export function encodeIndex(i: number): string {
  if (!Number.isSafeInteger(i) || i < 0) throw new Error(`vector index must be a non-negative safe integer, got ${i}`);
  return String(i).padStart(16, '0') + TERM;
}

export function decodeIndex(encoded: string): number {
  return Number(encoded.slice(0, -1));
}

export function encodeKey(schema: KeySchema, key: string | number): string {
  return schema.kind === 'string' ? encodeString(key as string) : encodeNumber(key as number);
}

export function decodeKey(schema: KeySchema, encoded: string): string | number {
  return schema.kind === 'string' ? decodeString(encoded) : numberFromOrderHex(encoded.slice(0, -1));
}

/** One step of the path from a partition root, already encoded. */
export type EncodedSegment = string;

export function partitionKey(pstate: string, topKey?: { schema: KeySchema; key: string | number }): string {
  if (!topKey) return pstate;
  const raw = topKey.schema.kind === 'string' ? (topKey.key as string) : numberOrderHex(topKey.key as number);
  return `${pstate}#${raw}`;
}

/** The sk prefix shared by exactly the elements of the structure at `structurePath`. */
export function structurePrefix(structurePath: readonly EncodedSegment[]): string {
  return ROOT_SK + structurePath.join('') + MARK;
}

export function elementSortKey(structurePath: readonly EncodedSegment[], element: EncodedSegment): string {
  return structurePrefix(structurePath) + element;
}

/**
 * Inclusive sk bounds for a DynamoDB `BETWEEN` selecting the elements of one structure whose
 * encoded key lies within the given encoded bounds.
 */
export function rangeBounds(
  prefix: string,
  from?: { encoded: EncodedSegment; inclusive: boolean },
  to?: { encoded: EncodedSegment; inclusive: boolean },
): { low: string; high: string } | undefined {
  // Elements are prefix + enc(k), enc(k) prefix-free and ending in TERM, so: anything after
  // prefix+e that is not an element is below the next element (exclusive low = e + TERM), and
  // every element below e is at most e without its TERM (exclusive high).
  const low = from ? prefix + from.encoded + (from.inclusive ? '' : TERM) : prefix;
  const high = to
    ? prefix + (to.inclusive ? to.encoded : to.encoded.slice(0, -1))
    : prefix.slice(0, -1) + String.fromCharCode(MARK.charCodeAt(0) + 1);
  // An empty range (e.g. from > to) would make DynamoDB reject the BETWEEN.
  return compareBytes(low, high) <= 0 ? { low, high } : undefined;
}

/** UTF-8 byte order, the order DynamoDB applies to string sort keys. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The documented order of keys: code point (= UTF-8 byte) order for strings, numeric for numbers. */
export function compareKeys(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a === b ? 0 : a < b ? -1 : 1;
  return compareBytes(String(a), String(b));
}
