// One run of a shard's poller, from start() to stop(), and the pauses stop() cuts short.

export interface Run {
  stopped: boolean;
  /** Every pause in progress; stop() cuts them all short. */
  sleepers: Set<() => void>;
  /** Set while the reader waits (for records, or for lanes to make room): ends that wait. */
  wakeReader?: () => void;
}

/** A pause that `stop()` cuts short; `onWake` receives the function that ends it early. */
export function pause(run: Run, ms: number, onWake?: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    if (run.stopped) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      run.sleepers.delete(done);
      resolve();
    }
    run.sleepers.add(done);
    onWake?.(done);
  });
}
