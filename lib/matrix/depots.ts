// Axon's depots (Kinesis streams on AWS): declared once here, named by these objects wherever a
// function appends to one (its `access.appends`), and listed in the module by lib/matrix/module.ts.
import type { DepotDecl } from '../core/module.ts';

export const depots = {
  rooms: { name: 'rooms', partitionKey: 'room id', shards: 2, partitions: 16 },
  users: { name: 'users', partitionKey: 'user id', shards: 1, partitions: 8 },
  ephemeral: { name: 'ephemeral', partitionKey: 'room id or user id', shards: 1 },
} as const satisfies Record<string, DepotDecl>;

/** A depot commands are submitted to, by name. */
export type Depot = keyof typeof depots;
