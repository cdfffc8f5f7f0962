// The users a user ignores (`m.ignored_user_list` global account data). Synapse leaves invites
// whose sender is ignored out of /sync (the spec: "invites from ignored users … must not be sent
// to the client"); Complement's TestInviteFromIgnoredUsersDoesNotAppearInSync.
import { accountData } from '../pstates.ts';
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
