// How deeply a parsed JSON value nests, measured without recursion: a request can carry a document
// thousands of levels deep, and anything recursive over it (JSON.stringify, canonical JSON,
// structuredClone) would overflow the stack. Checking it once at the edge keeps that out.

/** Whether `value` nests objects or arrays more than `limit` levels (`{}` and `[]` are one level). */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}
