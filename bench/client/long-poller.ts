// A client following /sync with long-polls, as Matrix clients do, noting when each timeline event
// arrived. Stopping is cooperative: the loop ends after its current poll, which the caller wakes
// (e.g. by sending one more message) so that no poll outlives the phase it belongs to.
import type { BenchClient, TimelineEvent } from './matrix-client.ts';

export class LongPoller {
  private running = false;
  private loop: Promise<void> | undefined;
  private since: string | undefined;
  polls = 0;
  errors = 0;

  constructor(
    readonly client: BenchClient,
    private readonly onEvent: (event: TimelineEvent, roomId: string, receivedAt: number) => void,
    private readonly timeoutMs = 30_000,
    /** A sync filter (inline JSON), as clients send (e.g. lazy-loaded members). */
    private readonly filter?: string,
  ) {}

  /** Initial sync (not waited on), then the long-poll loop in the background. */
  async start(): Promise<void> {
    const initial = await this.client.sync({ timeoutMs: 0, ...(this.filter ? { filter: this.filter } : {}) });
    this.since = initial.next_batch;
    this.running = true;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const res = await this.client.sync({ since: this.since, timeoutMs: this.timeoutMs, ...(this.filter ? { filter: this.filter } : {}) });
        const receivedAt = performance.now();
        this.polls++;
        this.since = res.next_batch;
        for (const [roomId, room] of Object.entries(res.rooms?.join ?? {})) {
          for (const event of room.timeline?.events ?? []) this.onEvent(event, roomId, receivedAt);
        }
      } catch {
        this.errors++;
        if (this.running) await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** Ask the loop to end after its current poll; resolves once it has, after `wake` ran. */
  async stop(wake: () => Promise<unknown>): Promise<void> {
    this.running = false;
    await wake();
    await this.loop;
  }
}
