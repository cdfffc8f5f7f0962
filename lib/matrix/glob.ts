// Glob matching (`*` any run of characters, `?` one) in time linear in the text: the pattern's
// automaton is simulated over the text one character at a time, keeping the set of pattern
// positions reached, so nothing backtracks. Globs come from users (push rule patterns, filter
// types and senders, server ACLs) and regular expressions built from them backtrack: `*a*a*a*a*b`
// against 400 `a`s ran for minutes, stalling whatever evaluated it (synapse matches globs with
// Rust's non-backtracking regex crate for the same reason). A tiny matcher rather than a library:
// only `*` and `?` are needed, and RE2's JavaScript port is an order of magnitude slower at it.

export interface GlobOptions {
  /** `?` matches one character (push rules, server ACLs); filters know only `*`. */
  questionMark?: boolean;
  caseInsensitive?: boolean;
  /** Every character literal: a display name looked for as a word. */
  literal?: boolean;
}

/**
 * Work (text characters × pattern positions) one match may take. Beyond it the pattern does not
 * match: only a pattern of thousands of characters against a body of tens of thousands gets there,
 * and one event must not cost one rule seconds of CPU.
 */
export const MAX_GLOB_WORK = 20_000_000;

const STAR = 0;
const ANY = 1;
type Token = string | typeof STAR | typeof ANY;

function tokens(glob: string, options: GlobOptions): Token[] {
  const chars = Array.from(options.caseInsensitive ? glob.toLowerCase() : glob);
  if (options.literal) return chars;
  return chars.map((c) => (c === '*' ? STAR : c === '?' && options.questionMark ? ANY : c));
}

/** JavaScript's `\w` (ASCII letters, digits, underscore): word boundaries as push rules have them. */
const isWordChar = (c: string) => /^[A-Za-z0-9_]$/.test(c);

/**
 * Whether `glob` matches all of `text` (`word` false), or some run of it that starts and ends at a
 * word boundary (`word` true: push rules' content and display-name matching).
 */
function run(glob: string, text: string, options: GlobOptions, word: boolean): boolean {
  const pattern = tokens(glob, options);
  const chars = Array.from(options.caseInsensitive ? text.toLowerCase() : text);
  const m = pattern.length;
  const n = chars.length;
  if ((n + 1) * (m + 1) > MAX_GLOB_WORK) return false;
  let active = new Uint8Array(m + 1);
  let next = new Uint8Array(m + 1);
  // Reaching position p also reaches what follows any stars there (a star may match nothing).
  const reach = (set: Uint8Array, from: number) => {
    for (let p = from; p <= m && !set[p]; p++) {
      set[p] = 1;
      if (pattern[p] !== STAR) break;
    }
  };
  for (let i = 0; i <= n; i++) {
    if (word ? i === 0 || !isWordChar(chars[i - 1]!) : i === 0) reach(active, 0);
    if (active[m] && (word ? i === n || !isWordChar(chars[i]!) : i === n)) return true;
    if (i === n) break;
    next.fill(0);
    let alive = false;
    for (let p = 0; p < m; p++) {
      if (!active[p]) continue;
      const token = pattern[p];
      if (token === STAR) reach(next, p);
      else if (token === ANY || token === chars[i]) reach(next, p + 1);
      else continue;
      alive = true;
    }
    [active, next] = [next, active];
    if (!alive && !word) return false;
  }
  return false;
}

/** Whether `glob` matches the whole of `text`. */
export function globMatchesAll(glob: string, text: string, options: GlobOptions = {}): boolean {
  return run(glob, text, options, false);
}

/** Whether `glob` matches a run of `text` bounded by word boundaries (or the text's ends). */
export function globMatchesWord(glob: string, text: string, options: GlobOptions = {}): boolean {
  return run(glob, text, options, true);
}
