// A declared service run in the local runtime's process: its entry module loaded as a container
// would load it, its host on a free loopback port, subscribed to notices through the local
// WebSocket gateway before it takes requests.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { ModuleDecl } from '../core/module.ts';
import { startServiceHost, type ServiceDefinition, type ServiceHost } from '../http/service-host.ts';
import { projectRoot } from './lambda.ts';

/** How long a local service may take to subscribe before the runtime gives up on it. */
const SUBSCRIBE_TIMEOUT_MS = 15_000;

export async function startLocalService(
  module: ModuleDecl,
  name: string,
  options: {
    host: string;
    webSocketUrl: string;
    log: (line: string) => void;
    onRequest?: ((service: string, routeKey: string) => void) | undefined;
    /** Run the service as its task role (lib/local/iam): everything it starts inside keeps the role. */
    runAs?: <T>(service: string, fn: () => T) => T;
  },
): Promise<ServiceHost> {
  const decl = module.services?.[name];
  if (!decl) throw new Error(`module "${module.name}" declares no service "${name}"`);
  const entry = (await import(pathToFileURL(resolve(projectRoot, decl.entry)).href)) as Record<string, unknown>;
  const create = entry[decl.exportName ?? 'service'];
  if (typeof create !== 'function') throw new Error(`${decl.entry} does not export ${decl.exportName ?? 'service'}`);
  const runAs = options.runAs ?? ((_service, fn) => fn());
  const host = await runAs(name, () => startServiceHost({
    definition: (create as () => ServiceDefinition)(),
    port: 0,
    host: options.host,
    webSocketUrl: options.webSocketUrl,
    log: options.log,
    ...(options.onRequest ? { onRequest: (routeKey: string) => options.onRequest!(name, routeKey) } : {}),
  }));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      host.subscription.ready,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`service ${name} did not subscribe to notices within ${SUBSCRIBE_TIMEOUT_MS} ms`)), SUBSCRIBE_TIMEOUT_MS))),
    ]);
  } catch (err) {
    await host.stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return host;
}
