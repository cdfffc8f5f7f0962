// Shared bits of the matrix-js-sdk client tests.
import { logger as sdkLogger } from 'matrix-js-sdk/lib/logger.js';

/** The SDK logs every request at debug level; keep its warnings only (or nothing). */
export function quietSdk(level: 'warn' | 'silent' = 'warn'): void {
  (sdkLogger as unknown as { setLevel(level: string): void }).setLevel(level);
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
