// The wake states a sync service instance knows, so that a long-poll arriving right after its
// answer (what every client does) need not read its user's wake item again.
//
// Why a known count is as good as a read: a poll registers for notices BEFORE it asks for its wake
// state (waiting-polls.ts), and every bump is followed by a notice carrying the count after it
// (lib/matrix/sync/notices.ts). A count this instance knows is the one its last read or notice
// said; a bump after that is either already noticed (the count here is raised) or noticed later,
// when the registered poll hears it and runs its pass. So a poll that starts from a known count
// misses nothing, exactly as one that read its item would.
//
// What a read still guards against: a notice that is lost although the subscription stayed up (a
// post that failed). Then the count here stays behind; a poll that trusted it would skip its first
// pass and wait for the next notice or its timeout, which still answers a real pass. So a state is
// trusted only for KNOWN_WAKE_TTL_MS after a read confirmed it, and nothing is trusted while, or
// just after, the subscription was down (`forgetAll`).
import { readWake, type WakeState } from '../wake.ts';

/** How long a read vouches for a user's wake state (notices keep its count current meanwhile). */
export const KNOWN_WAKE_TTL_MS = 10_000;

interface Known {
  state: WakeState;
  /** When a read last confirmed it. */
  readAt: number;
}

export class KnownWakes {
  private readonly known = new Map<string, Known>();
  /**
   * Users whose wake item is being read: how many reads, the highest count notices said meanwhile,
   * and whether a notice without a count came (then the read is not kept).
   */
  private readonly reading = new Map<string, { reads: number; told: number; unsure: boolean }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly ttlMs = KNOWN_WAKE_TTL_MS) {
    this.sweeper = setInterval(() => this.sweep(), ttlMs);
    this.sweeper.unref();
  }

  /** The user's wake state: the known one while a read vouches for it, else read now. */
  async read(userId: string, now = Date.now()): Promise<WakeState> {
    const known = this.known.get(userId);
    if (known && now - known.readAt < this.ttlMs) return { ...known.state };
    const readAt = Date.now();
    const reading = this.reading.get(userId) ?? { reads: 0, told: -Infinity, unsure: false };
    reading.reads++;
    this.reading.set(userId, reading);
    try {
      const state = await readWake(userId);
      // A notice that came during the read may name a later count than the read saw.
      const current = { ...state, wakes: Math.max(state.wakes, reading.told) };
      if (!reading.unsure) this.known.set(userId, { state: current, readAt });
      return { ...current };
    } finally {
      if (--reading.reads === 0) this.reading.delete(userId);
    }
  }

  /** A notice said the user's count is now `wakes`. */
  told(userId: string, wakes: number): void {
    const known = this.known.get(userId);
    if (known && wakes > known.state.wakes) known.state = { ...known.state, wakes };
    const reading = this.reading.get(userId);
    if (reading && wakes > reading.told) reading.told = wakes;
  }

  /** A notice named the user without a count: what is known of them is no longer current. */
  forget(userId: string): void {
    this.known.delete(userId);
    const reading = this.reading.get(userId);
    if (reading) reading.unsure = true;
  }

  /** This instance registered the user as long-polling and online until `until` (lib/matrix/sync/wake.ts goOnline). */
  registered(userId: string, until: number): void {
    const known = this.known.get(userId);
    if (known) known.state = { ...known.state, pollingUntil: Math.max(known.state.pollingUntil, until), onlineUntil: Math.max(known.state.onlineUntil, until) };
  }

  /** Notices may have been missed: trust nothing known so far. */
  forgetAll(): void {
    this.known.clear();
  }

  /** Users known now (tests, metrics). */
  size(): number {
    return this.known.size;
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  private sweep(now = Date.now()): void {
    for (const [userId, known] of this.known) if (now - known.readAt >= this.ttlMs) this.known.delete(userId);
  }
}
