// The domain's output formats checked against the Client-Server OpenAPI contract, so the HTTP
// layer can return them as they are.
import { describe, expect, it } from 'vitest';
import { buildEvent, toClientEvent } from '../../lib/matrix/events.ts';
import { validateFilter } from '../../lib/matrix/filters.ts';
import { defaultPushRules, pushRulesResponse, putPushRule } from '../../lib/matrix/push-rules.ts';
import { roomVersionsCapability } from '../../lib/matrix/room-versions.ts';
import { validateResponse } from '../support/openapi.ts';

const v3 = '/_matrix/client/v3';

describe('domain formats match the OpenAPI contract', () => {
  it('a client event (with redaction, prev_content and transaction id)', () => {
    const topic = buildEvent({
      room_id: '!r:localhost', sender: '@a:localhost', type: 'm.room.topic', state_key: '', content: { topic: 't' },
      origin_server_ts: 1000, depth: 2, unsigned: { prev_content: { topic: 'old' }, transaction: { device_id: 'D', txn_id: 'x' } },
    }, '11');
    const body = toClientEvent(topic, { now: 2000, requester: { user_id: '@a:localhost', device_id: 'D' } });
    expect(validateResponse('GET', `${v3}/rooms/!r:localhost/event/${topic.event_id}`, 200, body)).toEqual({ ok: true });
    expect(validateResponse('GET', `${v3}/rooms/!r:localhost/event/${topic.event_id}`, 200, { ...body, event_id: 5 }).ok).toBe(false);
  });

  it('the push ruleset', () => {
    const rules = putPushRule(defaultPushRules('@a:localhost'), 'content', 'cake', { actions: ['notify'], pattern: 'cake' });
    expect(validateResponse('GET', `${v3}/pushrules/`, 200, pushRulesResponse(rules))).toEqual({ ok: true });
    expect(validateResponse('GET', `${v3}/pushrules/global/override/.m.rule.master`, 200, rules.override[0])).toEqual({ ok: true });
  });

  it('a stored filter and the room versions capability', () => {
    const filter = validateFilter({ room: { timeline: { limit: 10, types: ['m.room.message'] }, state: { lazy_load_members: true } } });
    expect(validateResponse('GET', `${v3}/user/@a:localhost/filter/1`, 200, filter)).toEqual({ ok: true });
    const capabilities = { capabilities: { 'm.room_versions': roomVersionsCapability() } };
    expect(validateResponse('GET', `${v3}/capabilities`, 200, capabilities)).toEqual({ ok: true });
  });
});
