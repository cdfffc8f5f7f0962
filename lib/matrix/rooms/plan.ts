// What a command's planning yields: the ops to commit (with the record's outcome) and the answer.
import type { WriteOp } from '../../core/pstate/index.ts';
import type { RoomCommandResult } from './commands.ts';

export interface RoomPlan {
  ops: WriteOp[];
  value: RoomCommandResult;
}
