// A shard's read budget as Kinesis meters it. Standard consumers (GetRecords) share each shard's
// 5 calls per second and 2 MB per second; an enhanced fan-out consumer gets its own 2 MB per second
// per shard, pushed, with no call limit. A read that takes more than the budget has (GetRecords
// returns up to 10 MB) leaves it in debt: the next read waits until the rate has paid it back, as
// Kinesis refuses the calls of the next seconds (ProvisionedThroughputExceededException).
// https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html

/** Kinesis' per-shard read limits. */
export const SHARD_READ_LIMITS = { getRecordsPerSecond: 5, bytesPerSecond: 2 * 1024 * 1024 } as const;

/** Tokens refilled at a rate up to a ceiling; may go below zero (a read larger than what was left). */
class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number,
  ) {
    this.tokens = perSecond;
    this.at = now();
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.at) / 1000) * this.perSecond);
    this.at = now;
  }

  /** Milliseconds until at least `needed` tokens are there. */
  waitFor(needed: number): number {
    this.refill();
    return this.tokens >= needed ? 0 : Math.ceil(((needed - this.tokens) / this.perSecond) * 1000);
  }

  take(n: number): void {
    this.refill();
    this.tokens -= n;
  }
}

export class ShardReadBudget {
  private readonly calls?: TokenBucket;
  private readonly bytes: TokenBucket;

  /** `shared`: a standard consumers' budget (calls are limited too); otherwise one consumer's own pipe. */
  constructor(shared: boolean, now: () => number = Date.now) {
    this.calls = shared ? new TokenBucket(SHARD_READ_LIMITS.getRecordsPerSecond, now) : undefined;
    this.bytes = new TokenBucket(SHARD_READ_LIMITS.bytesPerSecond, now);
  }

  /** Milliseconds before the next read may go out (0: now). */
  delay(): number {
    // A read may overdraw the bytes left, but not go out in debt; a call needs a whole token.
    return Math.max(this.calls?.waitFor(1) ?? 0, this.bytes.waitFor(0));
  }

  /** A read goes out (call when `delay()` is 0, with no pause in between). */
  startRead(): void {
    this.calls?.take(1);
  }

  /** The read returned `bytes`. */
  endRead(bytes: number): void {
    this.bytes.take(bytes);
  }
}
