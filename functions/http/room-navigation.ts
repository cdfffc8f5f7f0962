// One Lambda for finding one's way between rooms and through time: timestamp_to_event, room
// summaries and space hierarchies (all reads; one function to spare the stack's resource budget).
import { matrixFunction } from '../../lib/matrix/routes/operation.ts';
import { spacesOperations } from './spaces.ts';
import { timestampOperations } from './timestamps.ts';

export const handler = matrixFunction('roomNavigation', { ...timestampOperations, ...spacesOperations });
