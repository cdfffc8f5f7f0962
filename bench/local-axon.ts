// The whole local Axon the bench runs against (HTTP API, WebSocket API, topologies, engines in
// memory, free ports), with every Lambda invocation recorded in the request accounting: one Lambda
// request and its GB-seconds (measured duration × configured memory) per invocation, plus one API
// Gateway HTTP request per invocation of an HTTP-routed function and one WebSocket message per
// client frame (route other than $connect/$disconnect), and one HTTP request per request a service
// (the sync service) served, all attributed to the phase running.
import type { ModuleDecl } from '../lib/core/module.ts';
import type { InvocationRecord } from '../lib/local/lambda.ts';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../lib/local/runtime.ts';
import type { RequestAccounting } from './accounting.ts';
import { API_GATEWAY_SERVICE, HTTP_API_REQUEST, LAMBDA_SERVICE, lambdaGbSeconds, WEBSOCKET_MESSAGE } from './cost-model.ts';

interface FunctionRoles {
  http: Set<string>;
  webSocketMessages: Set<string>;
}

function functionRoles(module: ModuleDecl): FunctionRoles {
  const http = new Set<string>((module.http?.routes ?? []).map((r) => r.function));
  if (module.http?.fallback) http.add(module.http.fallback);
  const webSocketMessages = new Set<string>(
    (module.websocket?.routes ?? []).filter((r) => r.route !== '$connect' && r.route !== '$disconnect').map((r) => r.function),
  );
  return { http, webSocketMessages };
}

/** The onInvocation hook that records an invocation's Lambda and API Gateway usage. */
export function invocationAccounting(module: ModuleDecl, accounting: RequestAccounting): (record: InvocationRecord) => void {
  const roles = functionRoles(module);
  return (record) => {
    // The invoker reports the deployed memory (functionDefaults), the same the stack configures.
    const memoryMb = record.memoryMb;
    accounting.record(LAMBDA_SERVICE, record.functionName, {
      requests: 1,
      errors: record.failed ? 1 : 0,
      gbSeconds: lambdaGbSeconds(record.durationMs, memoryMb),
    });
    if (roles.http.has(record.functionName)) accounting.record(API_GATEWAY_SERVICE, HTTP_API_REQUEST, { requests: 1 });
    if (roles.webSocketMessages.has(record.functionName)) accounting.record(API_GATEWAY_SERVICE, WEBSOCKET_MESSAGE, { requests: 1 });
  };
}

export async function startBenchAxon(
  module: ModuleDecl,
  accounting: RequestAccounting,
  options: Partial<LocalRuntimeOptions> = {},
): Promise<LocalRuntime> {
  // Many users register from one address in a bench run.
  process.env.AXON_RATE_LIMIT_REGISTER ??= '100000/60';
  process.env.AXON_RATE_LIMIT_LOGIN ??= '100000/60';
  process.env.AXON_RATE_LIMIT_LOGIN_ACCOUNT ??= '100000/60';
  process.env.AXON_RATE_LIMIT_LOGIN_FAILURES ??= '100000/60';
  process.env.AXON_RATE_LIMIT_PROFILE ??= '100000/60';
  // A bench sender may go faster than a person; the limit's own request is still made and counted.
  process.env.AXON_RATE_LIMIT_WRITES ??= '1000000/10';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'CRITICAL';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  return startLocalRuntime({
    module,
    inMemory: true,
    httpPort: 0,
    wsPort: 0,
    tableName: 'axon-bench',
    streamPrefix: 'axon-bench',
    ...options,
    onInvocation: invocationAccounting(module, accounting),
    // A request a service served came through the HTTP API too (a private integration).
    onServiceRequest: () => accounting.record(API_GATEWAY_SERVICE, HTTP_API_REQUEST, { requests: 1 }),
  });
}
