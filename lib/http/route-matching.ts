// API Gateway HTTP API route matching, as the local gateway, the fallback logic and services need it.
// A route path is literal segments, `{name}` (exactly one non-empty segment) and a final greedy
// `{name+}` (one or more segments). When several routes match, API Gateway picks the most specific:
// compared segment by segment from the left, a literal beats `{param}`, which beats `{proxy+}`.
// An `ANY` route matches every method but loses to a route naming the method.
// Paths here are as HTTP APIs route them: already percent-decoded (the event's `rawPath`), so a
// `%2F` in a request has become a separator before matching, as on AWS.

import type { HttpRouteDecl } from '../core/module.ts';

type Segment = { kind: 'literal'; value: string } | { kind: 'param'; name: string } | { kind: 'greedy'; name: string };

export interface RouteMatch {
  route: HttpRouteDecl;
  pathParameters: Record<string, string>;
}

const compiled = new WeakMap<HttpRouteDecl, Segment[]>();

function segmentsOf(route: HttpRouteDecl): Segment[] {
  let segs = compiled.get(route);
  if (!segs) {
    segs = splitPath(route.path).map((s): Segment => {
      const greedy = /^\{([^{}]+)\+\}$/.exec(s);
      if (greedy) return { kind: 'greedy', name: greedy[1]! };
      const param = /^\{([^{}]+)\}$/.exec(s);
      if (param) return { kind: 'param', name: param[1]! };
      return { kind: 'literal', value: s };
    });
    compiled.set(route, segs);
  }
  return segs;
}

function splitPath(path: string): string[] {
  // "/a/b" → ["a", "b"]; "/" → []; a trailing slash keeps an empty last segment ("/a/" ≠ "/a").
  const trimmed = path.startsWith('/') ? path.slice(1) : path;
  return trimmed === '' ? [] : trimmed.split('/');
}

/** Path parameters when `route`'s path matches the path split into `pathSegments`, else undefined. */
function matchPath(route: HttpRouteDecl, pathSegments: readonly string[]): Record<string, string> | undefined {
  const segs = segmentsOf(route);
  const params: Record<string, string> = {};
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    if (seg.kind === 'greedy') {
      const rest = pathSegments.slice(i);
      if (rest.length === 0 || rest.every((s) => s === '')) return undefined;
      params[seg.name] = rest.join('/');
      return params;
    }
    const value = pathSegments[i];
    if (value === undefined) return undefined;
    if (seg.kind === 'literal') {
      if (value !== seg.value) return undefined;
    } else {
      if (value === '') return undefined;
      params[seg.name] = value;
    }
  }
  return segs.length === pathSegments.length ? params : undefined;
}

const rank = { literal: 0, param: 1, greedy: 2 } as const;

/** Negative when `a` is more specific than `b`. */
function compareSpecificity(a: HttpRouteDecl, b: HttpRouteDecl): number {
  const sa = segmentsOf(a);
  const sb = segmentsOf(b);
  for (let i = 0; i < Math.max(sa.length, sb.length); i++) {
    const x = sa[i];
    const y = sb[i];
    if (!x || !y) break;
    const d = rank[x.kind] - rank[y.kind];
    if (d !== 0) return d;
  }
  // Same shape so far: the longer literal path is the more specific one.
  if (sa.length !== sb.length) return sb.length - sa.length;
  const anyA = (a.method as string) === 'ANY' ? 1 : 0;
  const anyB = (b.method as string) === 'ANY' ? 1 : 0;
  return anyA - anyB;
}

function methodMatches(route: HttpRouteDecl, method: string): boolean {
  return route.method === method || (route.method as string) === 'ANY';
}

/**
 * The route API Gateway would choose for `method` and `path` (percent-decoded, without query
 * string, i.e. the event's `rawPath`), with the path parameters it would pass.
 */
export function matchRoute(routes: readonly HttpRouteDecl[], method: string, path: string): RouteMatch | undefined {
  const pathSegments = splitPath(path);
  const upper = method.toUpperCase();
  let best: RouteMatch | undefined;
  for (const route of routes) {
    if (!methodMatches(route, upper)) continue;
    const pathParameters = matchPath(route, pathSegments);
    if (!pathParameters) continue;
    if (!best || compareSpecificity(route, best.route) < 0) best = { route, pathParameters };
  }
  return best;
}

/**
 * The methods some route accepts at `path` (sorted, `ANY` as declared). Empty means no route has
 * this path (404); non-empty without the request's method means a wrong method (405).
 */
export function methodsForPath(routes: readonly HttpRouteDecl[], path: string): string[] {
  const pathSegments = splitPath(path);
  const methods = new Set<string>();
  for (const route of routes) if (matchPath(route, pathSegments)) methods.add(route.method);
  return [...methods].sort();
}
