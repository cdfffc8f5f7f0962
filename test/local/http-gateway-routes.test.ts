import { describe, expect, it } from 'vitest';
import type { HttpRouteDecl } from '../../lib/core/module.ts';
import { matchRoute, methodsForPath } from '../../lib/http/route-matching.ts';

const route = (method: HttpRouteDecl['method'], path: string): HttpRouteDecl => ({ method, path, function: `${method} ${path}`, operation: path });

const routes: HttpRouteDecl[] = [
  route('GET', '/rooms/{roomId}'),
  route('GET', '/rooms/public'),
  route('PUT', '/rooms/{roomId}/send/{eventType}/{txnId}'),
  route('GET', '/rooms/{proxy+}'),
  route('GET', '/media/{serverName}/{mediaId}'),
  route('POST', '/media/{proxy+}'),
  route('GET', '/'),
];

const fnOf = (method: string, path: string) => matchRoute(routes, method, path)?.route.function;

describe('matchRoute', () => {
  it('prefers an exact path over {param} over {proxy+}', () => {
    expect(fnOf('GET', '/rooms/public')).toBe('GET /rooms/public');
    expect(fnOf('GET', '/rooms/abc')).toBe('GET /rooms/{roomId}');
    expect(fnOf('GET', '/rooms/abc/members')).toBe('GET /rooms/{proxy+}');
  });

  it('takes path parameters from the decoded path, a greedy variable with its slashes', () => {
    expect(matchRoute(routes, 'PUT', '/rooms/!r:example.org/send/m.room.message/t 1')?.pathParameters).toEqual({
      roomId: '!r:example.org',
      eventType: 'm.room.message',
      txnId: 't 1',
    });
    expect(matchRoute(routes, 'GET', '/rooms/a/b/c/d')?.pathParameters).toEqual({ proxy: 'a/b/c/d' });
  });

  it('requires the method and the number of segments to match', () => {
    expect(matchRoute(routes, 'DELETE', '/rooms/abc')).toBeUndefined();
    expect(matchRoute(routes, 'PUT', '/rooms/abc/send/m.room.message')).toBeUndefined();
    expect(matchRoute(routes, 'GET', '/media/srv')).toBeUndefined();
    expect(fnOf('get', '/media/srv/id')).toBe('GET /media/{serverName}/{mediaId}');
  });

  it('does not let a parameter or greedy variable match an empty segment', () => {
    expect(matchRoute(routes, 'GET', '/rooms/')).toBeUndefined();
    expect(matchRoute(routes, 'POST', '/media/')).toBeUndefined();
    expect(matchRoute(routes, 'GET', '/media//id')).toBeUndefined();
  });

  it('matches the root path', () => {
    expect(matchRoute(routes, 'GET', '/')).toEqual({ route: routes[6], pathParameters: {} });
  });

  it('lets a route naming the method win over ANY', () => {
    const any = { ...route('GET', '/x'), method: 'ANY' } as unknown as HttpRouteDecl;
    const get = route('GET', '/x');
    expect(matchRoute([any, get], 'GET', '/x')?.route).toBe(get);
    expect(matchRoute([any, get], 'POST', '/x')?.route).toBe(any);
  });
});

describe('methodsForPath', () => {
  it('lists the methods of every route whose path matches, to tell 405 from 404', () => {
    expect(methodsForPath(routes, '/rooms/abc')).toEqual(['GET']);
    expect(methodsForPath(routes, '/media/srv/id')).toEqual(['GET', 'POST']);
    expect(methodsForPath(routes, '/media/srv/id/thumb')).toEqual(['POST']);
    expect(methodsForPath(routes, '/nowhere')).toEqual([]);
  });
});
