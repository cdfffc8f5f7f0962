// Binding a local gateway's HTTP server: both gateways listen the same way and need the bound
// port (0 picks a free one) and a URL host (IPv6 literals in brackets).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Listening {
  port: number;
  /** `host:port` as bound, the Host a client would send. */
  address: string;
  /** The host as it goes into a URL. */
  urlHost: string;
}

export async function listen(server: Server, port: number | undefined, host: string): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return { port: bound, address: `${host}:${bound}`, urlHost: host.includes(':') ? `[${host}]` : host };
}
