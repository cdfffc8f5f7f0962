// The domain pieces together, as a room's writer would use them: plan a room, build and
// authorize each event in order, then membership, messages, a redaction and what each user sees.
import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../lib/matrix/canonical-json.ts';
import { authorizeEvent, authorizeRedaction } from '../../lib/matrix/auth-rules.ts';
import { planCreateRoom } from '../../lib/matrix/create-room.ts';
import { applyRedaction, buildEvent, redactedEventId, toClientEvent, type RoomEvent } from '../../lib/matrix/events.ts';
import { filterVisibleEvents } from '../../lib/matrix/history-visibility.ts';
import { membershipEvent } from '../../lib/matrix/membership.ts';
import { MapRoomState } from '../../lib/matrix/room-state.ts';

const alice = '@alice:localhost';
const bob = '@bob:localhost';
const eve = '@eve:localhost';

class Room {
  readonly state = new MapRoomState<RoomEvent>();
  readonly timeline: RoomEvent[] = [];
  constructor(readonly roomId: string, readonly version: '10' | '11') {}

  send(draft: { type: string; sender: string; state_key?: string; content: JsonObject; redacts?: string }): RoomEvent | string {
    const verdict = authorizeEvent({ ...draft, room_id: this.roomId }, this.state, this.version);
    if (!verdict.allowed) return verdict.reason;
    const previous = this.timeline.at(-1);
    const event = buildEvent(
      { ...draft, room_id: this.roomId, origin_server_ts: 1_000 + this.timeline.length, depth: this.timeline.length + 1, prev_events: previous ? [previous.event_id] : [] },
      this.version,
    );
    this.timeline.push(event);
    this.state.set(event);
    return event;
  }
}

describe.each(['10', '11'] as const)('a room of version %s', (version) => {
  it('lives through creation, invites, messages, a redaction and visibility', () => {
    const plan = planCreateRoom({ preset: 'private_chat', name: 'Tea', invite: [bob], room_version: version }, { roomId: '!tea:localhost', creator: alice, server: 'localhost' });
    const room = new Room(plan.roomId, version);
    for (const planned of plan.events) expect(room.send(planned)).toHaveProperty('event_id');
    expect(new Set(room.timeline.map((e) => e.event_id)).size).toBe(room.timeline.length);

    // eve is not invited; bob is
    expect(typeof room.send(membershipEvent({ action: 'join', sender: eve, target: eve }))).toBe('string');
    const hidden = room.send({ type: 'm.room.message', sender: alice, content: { body: 'before bob joined' } }) as RoomEvent;
    expect(room.send(membershipEvent({ action: 'join', sender: bob, target: bob, profile: { displayname: 'Bob' } }))).toHaveProperty('event_id');
    const hello = room.send({ type: 'm.room.message', sender: bob, content: { body: 'hello' } }) as RoomEvent;

    // bob (level 0) cannot name the room nor redact alice's message; he can redact his own
    expect(typeof room.send({ type: 'm.room.name', sender: bob, state_key: '', content: { name: 'x' } })).toBe('string');
    expect(authorizeRedaction(bob, hidden, room.state, version).allowed).toBe(false);
    expect(authorizeRedaction(bob, hello, room.state, version).allowed).toBe(true);
    const redaction = room.send({ type: 'm.room.redaction', sender: bob, content: {}, redacts: hello.event_id }) as RoomEvent;
    expect(redactedEventId(redaction)).toBe(hello.event_id);
    const redacted = applyRedaction(hello, toClientEvent(redaction, { now: 5_000 }), version);
    expect(toClientEvent(redacted, { now: 5_000 })).toMatchObject({ event_id: hello.event_id, content: {}, unsigned: { redacted_because: { event_id: redaction.event_id } } });

    // with `shared` history bob, now joined, sees the message sent while he was only invited
    const seenByBob = filterVisibleEvents(room.timeline, bob, { visibilityBefore: 'shared', membershipBefore: undefined, currentlyJoined: true });
    expect(seenByBob.map((e) => e.event_id)).toContain(hidden.event_id);
    const seenByEve = filterVisibleEvents(room.timeline, eve, { visibilityBefore: 'shared', membershipBefore: undefined, currentlyJoined: false });
    expect(seenByEve).toEqual([]);

    // kick and ban by the creator
    expect(room.send(membershipEvent({ action: 'kick', sender: alice, target: bob, reason: 'bye' }))).toHaveProperty('event_id');
    expect(room.send(membershipEvent({ action: 'ban', sender: alice, target: bob }))).toHaveProperty('event_id');
    expect(typeof room.send(membershipEvent({ action: 'join', sender: bob, target: bob }))).toBe('string');
  });
});
