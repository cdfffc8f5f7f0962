// A whole Axon (HTTP API, WebSocket API, topologies, the sync service) for one test file, on the
// shared engines with its own table and streams, on free ports. `sync: 'lambda'` serves /sync with
// the sync function instead of the service (the default on AWS); AXON_TEST_SYNC=lambda makes that
// the default of every file (the whole suite on the Lambda route).
import { axon } from '../../lib/matrix/module.ts';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../lib/local/runtime.ts';
import { useTestEngines } from './engines.ts';

export type SyncRoute = 'service' | 'lambda';

export interface TestRuntimeOptions extends Partial<Pick<LocalRuntimeOptions, 'module' | 'log' | 'onInvocation' | 'onAuthorized' | 'activityIndex'>> {
  sync?: SyncRoute;
}

/**
 * A call outside a function's grants is a bug a test should show: without a `log` of its own, the
 * runtime's denials (lib/local/iam) go to stderr, the rest of its log nowhere.
 */
const showDenials = (line: string) => {
  if (line.startsWith('access denied')) console.error(line);
};

/** `options`: another module (e.g. with an access removed), a log to watch, the /sync route. */
export async function startTestRuntime(label: string, options: TestRuntimeOptions = {}): Promise<LocalRuntime> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'CRITICAL';
  const env = useTestEngines(label);
  return startLocalRuntime({
    module: options.module ?? axon,
    log: options.log ?? showDenials,
    engines: env,
    tableName: env.prefix,
    streamPrefix: env.prefix,
    httpPort: 0,
    wsPort: 0,
    serverName: 'localhost',
    ...((options.sync ?? process.env.AXON_TEST_SYNC) === 'lambda' ? { services: [] } : {}),
    ...(options.onInvocation ? { onInvocation: options.onInvocation } : {}),
    ...(options.onAuthorized ? { onAuthorized: options.onAuthorized } : {}),
    // Every runtime says, so one file's choice does not carry over to the next in the same worker.
    activityIndex: options.activityIndex ?? true,
  });
}
