import { describe, expect, it } from 'vitest';
import { redactContent, redactEvent } from '../../lib/matrix/redaction.ts';

const pdu = (type: string, content: Record<string, unknown>) => ({
  event_id: '$e', type, room_id: '!r:localhost', sender: '@a:localhost', state_key: '', content,
  hashes: { sha256: 'h' }, signatures: { localhost: { 'ed25519:a': 's' } }, depth: 3, prev_events: ['$p'],
  prev_state: [], auth_events: ['$c'], origin: 'localhost', origin_server_ts: 5, membership: 'join',
  unsigned: { age: 1 }, redacts: '$x', extra: true,
});

describe('redaction algorithm', () => {
  it('v10 keeps origin, membership and prev_state at the top level; v11 drops them; both drop unsigned and unknown keys', () => {
    const v10 = redactEvent(pdu('m.room.message', { body: 'x' }), '10');
    expect(Object.keys(v10).sort()).toEqual(
      ['auth_events', 'content', 'depth', 'event_id', 'hashes', 'membership', 'origin', 'origin_server_ts', 'prev_events', 'prev_state', 'room_id', 'sender', 'signatures', 'state_key', 'type'],
    );
    const v11 = redactEvent(pdu('m.room.message', { body: 'x' }), '11');
    expect(Object.keys(v11).sort()).toEqual(
      ['auth_events', 'content', 'depth', 'event_id', 'hashes', 'origin_server_ts', 'prev_events', 'room_id', 'sender', 'signatures', 'state_key', 'type'],
    );
    expect(v10.content).toEqual({});
    expect(v11.content).toEqual({});
  });

  it('m.room.create: v10 keeps only creator, v11 keeps everything', () => {
    const content = { creator: '@a:localhost', room_version: '10', 'm.federate': false, predecessor: { room_id: '!o:x' } };
    expect(redactContent('m.room.create', content, '10')).toEqual({ creator: '@a:localhost' });
    expect(redactContent('m.room.create', content, '11')).toEqual(content);
  });

  it('m.room.member keeps membership and join_authorised_via_users_server; v11 also third_party_invite.signed', () => {
    const content = {
      membership: 'join', displayname: 'A', avatar_url: 'mxc://x/y', join_authorised_via_users_server: '@s:localhost',
      third_party_invite: { display_name: 'x', signed: { mxid: '@a:localhost', token: 't', signatures: {} } },
    };
    expect(redactContent('m.room.member', content, '10')).toEqual({ membership: 'join', join_authorised_via_users_server: '@s:localhost' });
    expect(redactContent('m.room.member', content, '11')).toEqual({
      membership: 'join', join_authorised_via_users_server: '@s:localhost',
      third_party_invite: { signed: { mxid: '@a:localhost', token: 't', signatures: {} } },
    });
  });

  it('m.room.power_levels keeps the level fields; v11 also invite', () => {
    const content = { ban: 50, events: { a: 1 }, events_default: 0, kick: 50, redact: 50, state_default: 50, users: { '@a:l': 100 }, users_default: 0, invite: 0, notifications: { room: 50 }, historical: 100 };
    const { invite: _invite, notifications: _n, historical: _h, ...v10 } = content;
    expect(redactContent('m.room.power_levels', content, '10')).toEqual(v10);
    const { notifications: _n2, historical: _h2, ...v11 } = content;
    expect(redactContent('m.room.power_levels', content, '11')).toEqual(v11);
  });

  it('keeps join_rule/allow, history_visibility, and v11 redaction `redacts`', () => {
    expect(redactContent('m.room.join_rules', { join_rule: 'restricted', allow: [{ type: 'm.room_membership' }], x: 1 }, '10'))
      .toEqual({ join_rule: 'restricted', allow: [{ type: 'm.room_membership' }] });
    expect(redactContent('m.room.history_visibility', { history_visibility: 'joined', x: 1 }, '11')).toEqual({ history_visibility: 'joined' });
    expect(redactContent('m.room.redaction', { redacts: '$x', reason: 'r' }, '11')).toEqual({ redacts: '$x' });
    expect(redactContent('m.room.redaction', { redacts: '$x', reason: 'r' }, '10')).toEqual({});
    expect(redactContent('m.room.name', { name: 'n' }, '11')).toEqual({});
    expect(redactContent('m.room.aliases', { aliases: ['#a:l'] }, '10')).toEqual({});
  });
});
