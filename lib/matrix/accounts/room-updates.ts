// What an account change means for the user's rooms: a profile change re-sends their join event in
// every joined room, a deactivation leaves every room they are in or invited to. The users
// topology appends these commands to the rooms depot after the account change is applied.
//
// Appends are at-least-once (a retried users record appends again), so the commands are built to
// be harmless when repeated: a profile command carries the user's CURRENT profile, read after the
// change, so a late duplicate can never bring an old name back, and the rooms topology writes
// nothing when the join event already has it; a second leave is refused by the room, changing nothing.
import { appendCommands } from '../commands.ts';
import { memberRooms, users } from '../pstates.ts';
import type { MembershipCommand, ProfileCommand } from '../rooms/commands.ts';
import type { AccountCommand } from './commands.ts';

/** The rooms the user is in with one of `memberships`. */
export async function roomsWithMembership(userId: string, memberships: readonly string[]): Promise<string[]> {
  const rooms = await memberRooms.key(userId).entries({ limit: 500, consistent: true });
  return rooms.filter(([, entry]) => entry.membership && memberships.includes(entry.membership)).map(([roomId]) => roomId);
}

async function profileUpdates(userId: string): Promise<ProfileCommand[]> {
  const user = await users.key(userId).fields(['displayname', 'avatarUrl', 'deactivated'], { consistent: true });
  if (!user || user.deactivated) return [];
  const rooms = await roomsWithMembership(userId, ['join']);
  return rooms.map((roomId) => ({
    kind: 'profile',
    roomId,
    userId,
    displayname: user.displayname ?? null,
    avatar_url: user.avatarUrl ?? null,
  }));
}

async function departures(userId: string): Promise<MembershipCommand[]> {
  const rooms = await roomsWithMembership(userId, ['join', 'invite', 'knock']);
  return rooms.map((roomId) => ({ kind: 'membership', roomId, action: 'leave', sender: userId, target: userId }));
}

/** The rooms commands that follow an applied account command (none for most). */
export async function roomUpdatesAfter(command: AccountCommand): Promise<(ProfileCommand | MembershipCommand)[]> {
  switch (command.kind) {
    case 'account.profile':
      return profileUpdates(command.userId);
    case 'account.deactivate':
      return departures(command.userId);
    default:
      return [];
  }
}

/** Append the room updates that follow `command` (partition key = room id, no one waits on them). */
export async function propagateToRooms(command: AccountCommand): Promise<number> {
  const updates = await roomUpdatesAfter(command);
  if (updates.length === 0) return 0;
  await appendCommands(
    'rooms',
    updates.map((u) => ({ partitionKey: u.roomId, command: u })),
  );
  return updates.length;
}
