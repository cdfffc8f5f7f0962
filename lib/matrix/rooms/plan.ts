// What a command's planning yields: the ops to commit (with the record's outcome) and the answer.
import type { Knowledge, WriteOp } from '../../core/pstate/index.ts';
import type { RoomEvent } from '../events.ts';
import type { RoomCommandResult } from './commands.ts';

export interface RoomPlan {
  ops: WriteOp[];
  value: RoomCommandResult;
  /** The events the ops append (RoomWriter.events), for the after-commit work; absent when not known. */
  events?: readonly RoomEvent[];
  /** Items the plan read that preparing its ops needs (read with the room: no second read before the commit). */
  known?: Knowledge;
}
