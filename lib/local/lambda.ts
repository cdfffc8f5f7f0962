// Runs a declared function in this process the way Lambda would: the handler module is imported
// once (a warm container), each invocation gets a Context and is bounded by the function's timeout.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { Handler } from 'aws-lambda';
import { invocationContext } from '../core/topology/records.ts';
import { functionDefaults, type FunctionDecl, type ModuleDecl } from '../core/module.ts';

export const projectRoot = resolve(import.meta.dirname, '..', '..');

export class FunctionTimeoutError extends Error {
  constructor(functionName: string, timeoutMs: number) {
    super(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds (${functionName})`);
    this.name = 'FunctionTimeoutError';
  }
}

export type Invoke = (functionName: string, event: unknown) => Promise<unknown>;

/** Measured handler durations, for the cost model (Lambda bills GB-seconds). */
export interface InvocationRecord {
  functionName: string;
  durationMs: number;
  memoryMb: number;
  failed: boolean;
  /** The event the function was invoked with (tests count the deliveries of depot records). */
  event?: unknown;
}

export interface LocalInvokerOptions {
  onInvocation?: (record: InvocationRecord) => void;
  /** Run an invocation as its function's role (lib/local/iam: grants enforced); default: unchecked. */
  runAs?: <T>(functionName: string, fn: () => T) => T;
}

/** An invoker that can also import handlers ahead of their first invocation. */
export interface LocalInvoker extends Invoke {
  /** Import these functions' handlers now (what must run even after the process was told to stop). */
  preload(functionNames: readonly string[]): Promise<void>;
}

export function createLocalInvoker(module: ModuleDecl, options: LocalInvokerOptions = {}): LocalInvoker {
  const runAs = options.runAs ?? ((_functionName, fn) => fn());
  const loaded = new Map<string, Promise<Handler>>();
  const load = (functionName: string, decl: FunctionDecl): Promise<Handler> => {
    let handler = loaded.get(functionName);
    if (!handler) {
      handler = import(pathToFileURL(resolve(projectRoot, decl.entry)).href).then((mod: Record<string, unknown>) => {
        const fn = mod[decl.exportName ?? 'handler'];
        if (typeof fn !== 'function') throw new Error(`${decl.entry} does not export ${decl.exportName ?? 'handler'}`);
        return fn as Handler;
      });
      loaded.set(functionName, handler);
    }
    return handler;
  };

  const declOf = (functionName: string): FunctionDecl => {
    const decl = (module.functions as Record<string, FunctionDecl>)[functionName];
    if (!decl) throw new Error(`unknown function ${functionName}`);
    return decl;
  };

  const invoke: Invoke = async (functionName, event) => {
    const decl = declOf(functionName);
    const handler = await load(functionName, decl);
    const timeoutMs = (decl.timeoutSeconds ?? functionDefaults.timeoutSeconds) * 1000;
    const started = Date.now();
    const context = invocationContext(functionName, timeoutMs, { memoryMb: decl.memoryMb ?? functionDefaults.memoryMb });
    let timer: NodeJS.Timeout | undefined;
    let failed = true;
    try {
      const result = await Promise.race([
        Promise.resolve(runAs(functionName, () => handler(event, context, () => undefined))),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new FunctionTimeoutError(functionName, timeoutMs)), timeoutMs);
        }),
      ]);
      failed = false;
      return result;
    } finally {
      clearTimeout(timer);
      options.onInvocation?.({ functionName, durationMs: Date.now() - started, memoryMb: decl.memoryMb ?? functionDefaults.memoryMb, failed, event });
    }
  };
  const preload = async (functionNames: readonly string[]) => {
    await Promise.all(functionNames.map((name) => load(name, declOf(name))));
  };
  return Object.assign(invoke, { preload });
}
