// Shared bits of the matrix-js-sdk client tests.
import { logger as sdkLogger } from 'matrix-js-sdk/lib/logger.js';

type LogMethodFactory = (methodName: string, level: number, loggerName: string | symbol) => (...args: unknown[]) => void;
interface LoglevelLogger {
  setLevel(level: string): void;
  methodFactory: LogMethodFactory;
  rebuild(): void;
}

const rank: Record<string, number> = { trace: 0, debug: 1, log: 2, info: 2, warn: 3, error: 4 };
const silence = () => {};

/**
 * The SDK logs every request at debug level; keep its warnings only (or nothing). Its child loggers
 * (sync, crypto, ...) pin themselves to DEBUG but copy the root's method factory when created, so
 * the filter lives in the factory, not only in the root's level.
 */
export function quietSdk(level: 'warn' | 'silent' = 'warn'): void {
  const root = sdkLogger as unknown as LoglevelLogger;
  root.setLevel(level);
  const threshold = level === 'silent' ? Infinity : rank.warn!;
  const factory = root.methodFactory;
  root.methodFactory = (methodName, logLevel, loggerName) =>
    (rank[methodName] ?? rank.log!) < threshold ? silence : factory(methodName, logLevel, loggerName);
  root.rebuild();
}

/** Resolve with what an SDK event listener reports first, or fail after `timeoutMs`. */
export function waitFor<T>(register: (done: (value: T) => void) => void, what: string, timeoutMs = 30_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}
