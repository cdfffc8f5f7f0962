// The `summary` of a joined room in /sync (spec RoomSummary): member counts and heroes.

export interface MemberEntry {
  userId: string;
  membership: string;
  /** Stream position of the member's current membership event (heroes are ordered by it). */
  position: number;
}

export interface RoomSummary {
  'm.heroes'?: string[];
  'm.joined_member_count': number;
  'm.invited_member_count': number;
}

/**
 * Heroes are only needed when the room has no name and no canonical alias: the first five
 * joined or invited members other than the user, else the left or banned ones.
 */
export function roomSummary(members: readonly MemberEntry[], userId: string, hasNameOrAlias: boolean): RoomSummary {
  const joined = members.filter((m) => m.membership === 'join').length;
  const invited = members.filter((m) => m.membership === 'invite').length;
  const summary: RoomSummary = { 'm.joined_member_count': joined, 'm.invited_member_count': invited };
  if (hasNameOrAlias) return summary;
  const others = [...members].filter((m) => m.userId !== userId).sort((a, b) => a.position - b.position);
  const present = others.filter((m) => m.membership === 'join' || m.membership === 'invite');
  const pool = present.length > 0 ? present : others.filter((m) => m.membership === 'leave' || m.membership === 'ban');
  summary['m.heroes'] = pool.slice(0, 5).map((m) => m.userId);
  return summary;
}
