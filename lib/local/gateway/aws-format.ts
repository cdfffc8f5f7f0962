// Small formats API Gateway uses in its events and headers, shared by the HTTP and WebSocket gateways.

import { randomBytes } from 'node:crypto';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway's request time: `12/Mar/2020:19:03:58 +0000` (always UTC). */
export function requestTime(epochMs: number): string {
  const d = new Date(epochMs);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** An id shaped like API Gateway's request and connection ids (`JKJaXmPLvHcESHA=`). */
export function gatewayId(): string {
  return randomBytes(11).toString('base64');
}

/** The client address as API Gateway reports it: plain IPv4 for IPv4-mapped IPv6 sockets. */
export function sourceIpOf(remoteAddress: string | undefined): string {
  if (!remoteAddress) return '127.0.0.1';
  return remoteAddress.startsWith('::ffff:') ? remoteAddress.slice('::ffff:'.length) : remoteAddress;
}

/** Host name without port, for `domainName`. */
export function domainNameOf(hostHeader: string | undefined, fallback: string): string {
  const host = hostHeader ?? fallback;
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  return host.replace(/:\d+$/, '');
}

/**
 * The request path as an HTTP API hands it on and routes it: percent-decoded (live captures show
 * `rawPath` decoded, unlike REST APIs and function URLs). A malformed escape stays as it was.
 */
export function decodedPath(rawUrlPath: string): string {
  try {
    return decodeURIComponent(rawUrlPath);
  } catch {
    return rawUrlPath.replace(/%[0-9a-fA-F]{2}/g, (e) => {
      try {
        return decodeURIComponent(e);
      } catch {
        return e;
      }
    });
  }
}

/** Decodes `%XX` and `+` like API Gateway does for query parameters; keeps malformed escapes. */
export function decodeQueryComponent(raw: string): string {
  const spaced = raw.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/** Query parameters of a raw query string, duplicates joined with commas (payload 2.0 rule). */
export function queryParameters(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  const out = new Map<string, string>();
  for (const pair of rawQueryString.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeQueryComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decodeQueryComponent(pair.slice(eq + 1));
    const seen = out.get(name);
    out.set(name, seen === undefined ? value : `${seen},${value}`);
  }
  return out.size ? Object.fromEntries(out) : undefined;
}
