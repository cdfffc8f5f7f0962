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
// Why woken polls cost little: a notice says each user's count after the bump, so a poll it names
// knows its count moved without reading it (a count it already saw is an old bump: it waits on);
// polls woken together run together — one BatchGetItem of the wake items of those woken without a
// count (the fallback, a re-check), then one read of every stream's watermarks shared by all the
// passes that run (lib/matrix/sync/service/woken-passes.ts).
//
// Why a poll that follows its answer costs no wake read: the counts notices say are kept
// (known-wakes.ts), so the next poll of a user woken a moment ago starts from the count it was
// told, under the same registration-first rule.
import type { SyncParams } from '../assemble.ts';
import { longPoll, withKeyCounts, type WakeSource, type Woken } from '../long-poll.ts';
import type { SyncWait } from '../operation.ts';
import { WAKE_POLL_INTERVAL_MS, type WakeState } from '../wake.ts';
import type { WokenUser } from '../notices.ts';
import { KnownWakes } from './known-wakes.ts';
import { checkWoken, type WakeCheck } from './woken-passes.ts';

class Waiter implements WakeSource {
  /** A notice without a count (or a re-check) arrived since the last check: read the count. */
  private unknown = false;
  /** The highest count notices said since the last check (counts only grow). */
  private told = -Infinity;
  private stopped = false;
  private signal: (() => void) | undefined;

  constructor(
    readonly params: SyncParams,
    private readonly check: (waiter: Waiter, seen: number, known?: number) => Promise<Woken | undefined>,
    private readonly wakes: KnownWakes,
  ) {}

  wakeState(userId: string): Promise<WakeState> {
    return this.wakes.read(userId);
  }

  registered(userId: string, until: number): void {
    this.wakes.registered(userId, until);
  }

  /** `wakes`: the count the notice says the user's wake item now holds; undefined: read it. */
  wake(wakes?: number): void {
    if (wakes === undefined) this.unknown = true;
    else this.told = Math.max(this.told, wakes);
    this.signal?.();
  }

  stop(): void {
    this.stopped = true;
    this.signal?.();
  }

  async next(seen: number, deadline: number): Promise<Woken | undefined> {
    for (;;) {
      if (this.stopped) return undefined;
      if (this.unknown || this.told > seen) {
        // A told count above the one seen is a bump committed after the poll's last pass: no read needed.
        const known = this.unknown ? undefined : this.told;
        this.unknown = false;
        this.told = -Infinity;
        const woken = await this.check(this, seen, known);
        if (woken) return woken;
        continue;
      }
      this.told = -Infinity;
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
  private readonly knownWakes = new KnownWakes();

  /** A long-poll as the sync operation runs it (a SyncWait). */
  readonly wait: SyncWait = async (params, timeoutMs, remainingTimeMs) => {
    const waiter = new Waiter(params, (w, seen, known) => this.checkTogether(w, seen, known), this.knownWakes);
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

  /** The users a notice names (with their counts after the bump, where it says them): their polls check now. */
  wakeUsers(woken: readonly WokenUser[]): void {
    for (const { userId, wakes } of woken) {
      if (wakes !== undefined) this.knownWakes.told(userId, wakes);
      else this.knownWakes.forget(userId);
      for (const waiter of this.byUser.get(userId) ?? []) waiter.wake(wakes);
    }
  }

  /**
   * Whether notices arrive now. While they do not, every poll reads its wake item at the sync
   * function's interval; once they do again, every poll checks once (for what came in between).
   */
  setConnected(connected: boolean): void {
    // Lost: what comes next may not be told. Back: what came in between was not.
    this.knownWakes.forgetAll();
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
    this.knownWakes.stop();
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
  private checkTogether(waiter: Waiter, seen: number, known?: number): Promise<Woken | undefined> {
    return new Promise((resolve, reject) => {
      if (!this.batch.length) setImmediate(() => void this.runBatch());
      this.batch.push({ params: waiter.params, seen, ...(known !== undefined ? { known } : {}), resolve, reject });
    });
  }

  private async runBatch(): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    await checkWoken(batch);
  }
}
