// Which of a shard's read records are done with (processed, or sent to the dead-letter store), in
// shard order. With concurrent batches per shard (ParallelizationFactor), later records may finish
// before earlier ones; the shard's checkpoint can only move to the last record of the done PREFIX,
// so that a restart redelivers every record not yet done (and some that were: at least once), as
// Lambda does with its one checkpoint per shard.
import type { _Record as KinesisRecord } from '@aws-sdk/client-kinesis';

interface Entry {
  record: KinesisRecord;
  done: boolean;
}

export class ShardProgress {
  private readonly entries: Entry[] = [];
  private readonly bySeq = new Map<string, Entry>();
  private head = 0;

  /** Read records not yet done with. */
  get pending(): number {
    return this.entries.length - this.head;
  }

  /** Records read from the shard, in shard order. */
  add(records: readonly KinesisRecord[]): void {
    for (const record of records) {
      const entry = { record, done: false };
      this.entries.push(entry);
      this.bySeq.set(record.SequenceNumber ?? '', entry);
    }
  }

  /**
   * Mark records done. Returns the record the checkpoint may move to when the done prefix grew
   * (the last record of it), else undefined.
   */
  finish(records: readonly KinesisRecord[]): KinesisRecord | undefined {
    for (const record of records) {
      const entry = this.bySeq.get(record.SequenceNumber ?? '');
      if (entry) entry.done = true;
    }
    let last: KinesisRecord | undefined;
    while (this.head < this.entries.length && this.entries[this.head]!.done) {
      const entry = this.entries[this.head++]!;
      this.bySeq.delete(entry.record.SequenceNumber ?? '');
      last = entry.record;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    return last;
  }
}
