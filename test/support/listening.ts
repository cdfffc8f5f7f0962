// What a process listens on, read from Linux's /proc (the sockets its descriptors hold, matched
// against the kernel's TCP tables), and whether a port answers on a given address: the evidence
// that a local server is reachable from loopback only.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';

/** `a.b.c.d` from /proc's little-endian hex IPv4. */
function ipv4(hex: string): string {
  return [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
}

/** An IPv6 address from /proc's four little-endian 32-bit words, IPv4-mapped ones as `::ffff:a.b.c.d`. */
function ipv6(hex: string): string {
  const bytes = Buffer.alloc(16);
  for (let w = 0; w < 4; w++) bytes.writeUInt32LE(parseInt(hex.slice(w * 8, w * 8 + 8), 16) >>> 0, w * 4);
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return `::ffff:${[...bytes.subarray(12)].join('.')}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** The TCP addresses (`host` and `port`) `pid` listens on. */
export function listeningAddresses(pid: number): { host: string; port: number }[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const out: { host: string; port: number }[] = [];
  for (const [table, decode] of [['tcp', ipv4], ['tcp6', ipv6]] as const) {
    for (const line of readFileSync(`/proc/net/${table}`, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A' || !inodes.has(cols[9]!)) continue; // 0A: LISTEN
      const [addr, port] = cols[1]!.split(':');
      out.push({ host: decode(addr!), port: parseInt(port!, 16) });
    }
  }
  return out;
}

export function isLoopback(host: string): boolean {
  return host.startsWith('127.') || host === '::1' || host.startsWith('::ffff:127.');
}

/** This machine's addresses other than loopback (and link-local IPv6, which needs a scope). */
export function externalAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && !a.internal && !a.address.startsWith('fe80:'))
    .map((a) => a!.address);
}

/** Whether a TCP connection to `host:port` is accepted. */
export function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 3000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}
