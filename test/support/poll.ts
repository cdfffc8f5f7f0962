// Waiting for a condition that becomes true asynchronously (a topology commits after the response,
// a microbatch folds later): poll instead of sleeping a fixed time.

/** Reads until `ok` holds, every 50 ms; fails with the last value read after `timeoutMs`. */
export async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
