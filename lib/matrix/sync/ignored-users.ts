// The users a user ignores (`m.ignored_user_list` global account data). Synapse leaves invites
// whose sender is ignored out of /sync (the spec: "invites from ignored users … must not be sent
// to the client"); Complement's TestInviteFromIgnoredUsersDoesNotAppearInSync.
import { getMany } from '../../core/pstate/index.ts';
import { accountData, roomTimeline, type TimelineEntry } from '../pstates.ts';
import { accountDataKey } from '../user-data/account-data.ts';
import type { InvitedRoomSection } from './rooms.ts';

const IGNORED_USERS_KEY = accountDataKey(undefined, 'm.ignored_user_list');

export async function ignoredUsers(userId: string): Promise<Set<string>> {
  const content = await accountData.key(userId).key(IGNORED_USERS_KEY).get({ consistent: true });
  const ignored = content?.ignored_users;
  return new Set(ignored !== null && typeof ignored === 'object' && !Array.isArray(ignored) ? Object.keys(ignored) : []);
}

/** The sender of the invite a section shows (its own membership event), if any. */
export function inviterOf(userId: string, section: InvitedRoomSection): string | undefined {
  return section.invite_state.events.find((e) => e.type === 'm.room.member' && e.state_key === userId)?.sender;
}

/**
 * The memberships without the invites sent by users `userId` ignores (sliding sync's lists, as
 * Synapse's sliding sync drops them before the lists). Nothing is read without an invite; the
 * invite events (a membership's position is its event's) only when the user ignores someone.
 */
export async function withoutIgnoredInvites<M extends { roomId: string; membership: string; position: number }>(userId: string, memberships: readonly M[]): Promise<M[]> {
  const invites = memberships.filter((m) => m.membership === 'invite' && m.position > 0);
  if (!invites.length) return [...memberships];
  const ignored = await ignoredUsers(userId);
  if (!ignored.size) return [...memberships];
  const entries = (await getMany(invites.map((m) => roomTimeline.key(m.roomId).key(m.position - 1)), { consistent: true })) as (TimelineEntry | undefined)[];
  const dropped = new Set(invites.filter((_, i) => ignored.has(entries[i]?.event.sender ?? '')).map((m) => m.roomId));
  return dropped.size ? memberships.filter((m) => !dropped.has(m.roomId)) : [...memberships];
}
