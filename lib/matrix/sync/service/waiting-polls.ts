// The sync service's waiting long-polls: many at once in one process, each costing nothing while
// it waits. A poll waits exactly as on Lambda (lib/matrix/sync/long-poll.ts: wake count read
// before its first pass, the same skip, the same tokens); what differs is how it learns that its
// wake count moved. Instead of reading its wake item every 500 ms, it is told: every wake-up is
// followed by a notice naming the users woken (lib/matrix/sync/notices.ts), and the polls of those
// users check together.
//
// Why no news is lost: a poll registers here (so it gets every notice from then on) BEFORE it
// reads its wake count, and a notice is posted after the bump it announces. So any bump the read
// did not see is announced to the waiting poll afterwards — while the instance's subscription is
// connected. When it is not (lost, not yet open), notices may be missed: the polls then read their
// wake items every WAKE_POLL_INTERVAL_MS, as the sync function's do, and once connected again all
// of them check once more (what was missed meanwhile).
//
// Why woken polls cost little: polls woken together check together — one BatchGetItem of their
// wake items, then one read of every stream's watermarks shared by all the passes that run
// (lib/matrix/sync/service/woken-passes.ts).
import type { SyncParams } from '../assemble.ts';
import { longPoll, withKeyCounts, type WakeSource, type Woken } from '../long-poll.ts';
import type { SyncWait } from '../operation.ts';
import { WAKE_POLL_INTERVAL_MS } from '../wake.ts';
import { checkWoken, type WakeCheck } from './woken-passes.ts';

class Waiter implements WakeSource {
  /** A notice (or a re-check) arrived since the last check. */
  private woken = false;
  private stopped = false;
  private signal: (() => void) | undefined;

  constructor(
    readonly params: SyncParams,
    private readonly check: (waiter: Waiter, seen: number) => Promise<Woken | undefined>,
  ) {}

  wake(): void {
    this.woken = true;
    this.signal?.();
  }

  stop(): void {
    this.stopped = true;
    this.signal?.();
  }

  async next(seen: number, deadline: number): Promise<Woken | undefined> {
    for (;;) {
      if (this.stopped) return undefined;
      if (this.woken) {
        this.woken = false;
        const woken = await this.check(this, seen);
        if (woken) return woken;
        continue;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.signal = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.signal = undefined;
    }
  }
}

export class WaitingPolls {
  private readonly byUser = new Map<string, Set<Waiter>>();
  private fallbackTimer: NodeJS.Timeout | undefined;
  private batch: WakeCheck[] = [];
  private draining = false;

  /** A long-poll as the sync operation runs it (a SyncWait). */
  readonly wait: SyncWait = async (params, timeoutMs, remainingTimeMs) => {
    const waiter = new Waiter(params, (w, seen) => this.checkTogether(w, seen));
    this.enter(waiter);
    try {
      return await withKeyCounts(params, longPoll(params, timeoutMs, remainingTimeMs, waiter));
    } finally {
      this.leave(waiter);
    }
  };

  /** Polls waiting (or running a pass) now. */
  open(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  /** The users a notice names: their polls check now. */
  wakeUsers(userIds: readonly string[]): void {
    for (const userId of userIds) for (const waiter of this.byUser.get(userId) ?? []) waiter.wake();
  }

  /**
   * Whether notices arrive now. While they do not, every poll reads its wake item at the sync
   * function's interval; once they do again, every poll checks once (for what came in between).
   */
  setConnected(connected: boolean): void {
    clearInterval(this.fallbackTimer);
    this.fallbackTimer = undefined;
    if (!connected) {
      this.fallbackTimer = setInterval(() => this.wakeAll(), WAKE_POLL_INTERVAL_MS);
      this.fallbackTimer.unref();
    }
    this.wakeAll();
  }

  /** Answer every waiting poll now (the instance is stopping): each answers what it has. */
  async drain(): Promise<void> {
    this.draining = true;
    clearInterval(this.fallbackTimer);
    for (const set of this.byUser.values()) for (const waiter of set) waiter.stop();
    while (this.open() > 0) await new Promise((r) => setTimeout(r, 10));
  }

  private wakeAll(): void {
    for (const set of this.byUser.values()) for (const waiter of set) waiter.wake();
  }

  private enter(waiter: Waiter): void {
    const userId = waiter.params.userId;
    let set = this.byUser.get(userId);
    if (!set) this.byUser.set(userId, (set = new Set()));
    set.add(waiter);
    // A poll that arrives while the instance stops answers at once (its first pass, if any).
    if (this.draining) waiter.stop();
  }

  private leave(waiter: Waiter): void {
    const userId = waiter.params.userId;
    const set = this.byUser.get(userId);
    set?.delete(waiter);
    if (set?.size === 0) this.byUser.delete(userId);
  }

  /** Checks of polls woken in the same turn of the event loop run as one batch. */
  private checkTogether(waiter: Waiter, seen: number): Promise<Woken | undefined> {
    return new Promise((resolve, reject) => {
      if (!this.batch.length) setImmediate(() => void this.runBatch());
      this.batch.push({ params: waiter.params, seen, resolve, reject });
    });
  }

  private async runBatch(): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    await checkWoken(batch);
  }
}
