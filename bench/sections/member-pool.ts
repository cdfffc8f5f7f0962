// Registered users shared by the sections that need many room members (fanout, typing): each
// registration costs a password hash, so a run registers the largest count once and every section
// takes the first N for its own new room.
import type { BenchClient } from '../client/matrix-client.ts';
import { registerUsers, roomWith } from './matrix-api.ts';

const pools = new Map<string, BenchClient[]>();

/** The first `count` users of the run's pool for `url`, registering only those not registered yet. */
export async function pooledUsers(url: string, count: number): Promise<BenchClient[]> {
  let pool = pools.get(url);
  if (!pool) pools.set(url, (pool = []));
  if (pool.length < count) pool.push(...(await registerUsers(url, count - pool.length, 'member')));
  return pool.slice(0, count);
}

const rooms = new Map<string, Promise<string>>();

/**
 * A public room of the pool's first `count` users (the first creates it, the rest join), shared by
 * the sections of a run: joins are serialized per room by the rooms topology, so a 100-member room
 * takes tens of seconds to fill and is filled once.
 */
export function pooledRoom(url: string, count: number): Promise<string> {
  const key = `${url} ${count}`;
  let room = rooms.get(key);
  if (!room) {
    room = pooledUsers(url, count).then(([owner, ...members]) => roomWith(owner!, members));
    rooms.set(key, room);
    room.catch(() => rooms.delete(key));
  }
  return room;
}
