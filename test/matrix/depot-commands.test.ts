// The inventory of depot commands (lib/matrix/depot-commands.ts): every kind of every depot has a
// validator, the edge (validateDepotCommand) and the topologies (commandParser) refuse the same
// commands with the same Matrix error, a lone surrogate anywhere is M_BAD_JSON, and the fields
// that key items or are stored whole are bounded.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { unstorableJson } from '../../lib/core/json-text.ts';
import { notPlainJson } from '../../lib/core/pstate/schema.ts';
import { deterministicRejection } from '../../lib/core/topology/failures.ts';
import { Rejection } from '../../lib/core/topology/stream.ts';
import { commandParser } from '../../lib/matrix/command-fields.ts';
import { depotCommands, validateDepotCommand } from '../../lib/matrix/depot-commands.ts';
import { forbidden, limitExceeded, MatrixError } from '../../lib/matrix/errors.ts';
import type { Depot } from '../../lib/matrix/commands.ts';

const user = '@alice:localhost';
const room = '!room:localhost';
const content = { msgtype: 'm.text', body: 'hi' };

/** One valid command of every kind, per depot: the inventory. */
const samples: Record<Depot, Record<string, unknown>[]> = {
  rooms: [
    { kind: 'createRoom', roomId: room, creator: user, roomVersion: '11', visibility: 'private', events: [{ type: 'm.room.create', state_key: '', sender: user, content: { room_version: '11' } }] },
    { kind: 'membership', roomId: room, action: 'invite', sender: user, target: '@bob:localhost', reason: 'come', profile: { displayname: 'Bob', avatar_url: null }, bodyContent: { foo: 'bar' } },
    { kind: 'forget', roomId: room, userId: user },
    { kind: 'send', roomId: room, sender: user, deviceId: 'DEV', type: 'm.room.message', content, txnId: 't1' },
    { kind: 'redact', roomId: room, sender: user, deviceId: 'DEV', redacts: '$event', reason: 'spam', txnId: 't2' },
    { kind: 'profile', roomId: room, userId: user, displayname: 'Alice' },
    { kind: 'tombstone', roomId: room, sender: user, replacementRoom: '!new:localhost' },
    { kind: 'directory.setAlias', roomId: room, userId: user, alias: '#a:localhost' },
    { kind: 'directory.deleteAlias', roomId: room, userId: user, alias: '#a:localhost' },
    { kind: 'directory.visibility', roomId: room, userId: user, visibility: 'public', ts: 1 },
    { kind: 'deleteRoom', roomId: room, deleteId: 'del1', requester: user, block: true, purge: true, forcePurge: false },
    { kind: 'finishRoomDeletion', roomId: room, deleteId: 'del1' },
    { kind: 'blockRoom', roomId: room, userId: user, block: true },
  ],
  users: [
    { kind: 'account.register', userId: user, ts: 1, passwordHash: 'scrypt$x', displayname: 'alice', session: { deviceId: 'DEV', displayName: 'Phone', tokenHash: 'h', ip: '127.0.0.1' } },
    { kind: 'account.login', userId: user, ts: 1, session: { deviceId: 'DEV', tokenHash: 'h', ip: '127.0.0.1' } },
    { kind: 'account.refresh', userId: user, ts: 1, deviceId: 'DEV', refreshHash: 'r', tokenHash: 'h2', newRefreshHash: 'r2', expiresTs: 300_001 },
    { kind: 'account.removeDevices', userId: user, ts: 1, deviceIds: ['DEV'] },
    { kind: 'account.password', userId: user, ts: 1, passwordHash: 'scrypt$y', keepDeviceId: 'DEV' },
    { kind: 'account.deactivate', userId: user, ts: 1 },
    { kind: 'account.updateDevice', userId: user, ts: 1, deviceId: 'DEV', displayName: 'Laptop' },
    { kind: 'account.profile', userId: user, ts: 1, displayname: 'Alice', avatarUrl: 'mxc://localhost/a' },
    { kind: 'registrationToken.create', token: 'abc-DEF_1.~', ts: 1, usesAllowed: 1, expiryTime: null },
    { kind: 'registrationToken.update', token: 'abc-DEF_1.~', ts: 1, usesAllowed: null },
    { kind: 'registrationToken.delete', token: 'abc-DEF_1.~', ts: 1 },
    { kind: 'account.setAdmin', userId: user, ts: 1, admin: true },
    { kind: 'account.moderate', userId: user, ts: 1, locked: true, shadowBanned: false, ratelimit: { messagesPerSecond: 0, burstCount: 0 } },
    { kind: 'media.quarantine', userId: user, ts: 1, mediaIds: ['abcDEF_-1'], quarantinedBy: '@admin:localhost' },
    { kind: 'media.delete', userId: user, ts: 1, mediaIds: ['abcDEF_-1'] },
    { kind: 'media.protect', userId: user, ts: 1, mediaIds: ['abcDEF_-1'], safe: true },
    { kind: 'userData.accountData', userId: user, type: 'm.direct', content: {} },
    { kind: 'userData.tag', userId: user, roomId: room, tag: 'm.favourite', content: { order: 0.5 } },
    { kind: 'userData.filter', userId: user, filter: { room: { timeline: { limit: 10 } } } },
    { kind: 'userData.pushRule', userId: user, change: { op: 'put', kind: 'override', ruleId: 'r', rule: { actions: ['notify'] } } },
    { kind: 'keys.upload', userId: user, deviceId: 'DEV', deviceKeys: { user_id: user }, oneTimeKeys: { 'signed_curve25519:A': { key: 'k' } }, fallbackKeys: {} },
    { kind: 'keys.claim', userId: user, devices: { DEV: 'signed_curve25519' } },
    { kind: 'keys.toDevice', userId: user, sender: '@bob:localhost', senderDevice: 'B', txnId: 't', type: 'm.room_key', messages: { DEV: { k: 1 } } },
    { kind: 'keys.backupVersion', userId: user, algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', authData: {} },
    { kind: 'keys.backupVersionUpdate', userId: user, version: '1', algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', authData: {} },
    { kind: 'keys.backupVersionDelete', userId: user, version: '1' },
    { kind: 'keys.backupPut', userId: user, version: '1', sessions: [{ roomId: room, sessionId: 's', data: { first_message_index: 0 } }] },
    { kind: 'keys.backupDelete', userId: user, version: '1', roomId: room },
    { kind: 'keys.crossSigning', userId: user, keys: { master: { user_id: user } } },
    { kind: 'keys.signatures', userId: user, signed: { [user]: { DEV: { user_id: user } } } },
    { kind: 'keys.devicesRemoved', userId: user, deviceIds: ['DEV'] },
    { kind: 'keys.toDeviceAck', userId: user, deviceId: 'DEV', upTo: '0001.0' },
    { kind: 'submit.openIdToken', userId: user, ts: 1, tokenHash: 'h', expiresTs: 2 },
    { kind: 'submit.report', userId: user, ts: 1, subject: 'user', targetUserId: '@bob:localhost', reason: 'spam', content: { reason: 'spam' } },
    { kind: 'submit.dismissReport', userId: user, ts: 1, subject: 'event', reportId: '000000000000001.r' },
    { kind: 'pushers.set', userId: user, pusher: { app_id: 'a', pushkey: 'k', kind: 'http' }, append: false, deviceId: 'DEV' },
    { kind: 'pushers.delete', userId: user, appId: 'a', pushkey: 'k' },
  ],
  ephemeral: [
    { kind: 'ephemeral.typing', roomId: room, userId: user, typing: true, timeoutMs: 30_000 },
    { kind: 'ephemeral.receipt', roomId: room, userId: user, receiptType: 'm.read', eventId: '$e', position: 3, threadId: '' },
    { kind: 'ephemeral.presence', userId: user, presence: 'online', statusMsg: 'here' },
  ],
};

const depots = Object.keys(samples) as Depot[];

/** The kinds a depot's validator takes: the literals of its (nested) discriminated unions. */
function kindsOf(schema: z.ZodType): string[] {
  if (schema instanceof z.ZodDiscriminatedUnion) return (schema.options as z.ZodType[]).flatMap(kindsOf);
  if (schema instanceof z.ZodObject) return [(schema.shape.kind as z.ZodLiteral<string>).value];
  throw new Error('not a command schema');
}

/** The Matrix error the edge answers with (undefined when the command is accepted). */
function edgeError(depot: Depot, command: unknown): { status: number; errcode: string } | undefined {
  try {
    validateDepotCommand(depot, command);
    return undefined;
  } catch (e) {
    if (!(e instanceof MatrixError)) throw e;
    return { status: e.status, errcode: e.errcode };
  }
}

/** The refusal a topology records for the same command (its payload parser). */
function topologyError(depot: Depot, command: unknown): { status: number; errcode: string } | undefined {
  try {
    commandParser(depotCommands[depot]).parse(JSON.parse(JSON.stringify(command)));
    return undefined;
  } catch (e) {
    if (!(e instanceof Rejection)) throw e;
    return { status: e.status!, errcode: e.code };
  }
}

/** Every string leaf and object key of a command, as paths to set. */
function stringPaths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (typeof value === 'string') return [at];
  if (Array.isArray(value)) return value.flatMap((e, i) => stringPaths(e, [...at, i]));
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([k, e]) => stringPaths(e, [...at, k]));
  return [];
}

/** Every string, number and boolean leaf of a command, as paths to set. */
function leafPaths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return [at];
  if (Array.isArray(value)) return value.flatMap((e, i) => leafPaths(e, [...at, i]));
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([k, e]) => leafPaths(e, [...at, k]));
  return [];
}

function withValue(command: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(command) as Record<string | number, unknown>;
  let parent = copy;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
  parent[path.at(-1)!] = value;
  return copy;
}

describe('depot commands', () => {
  it('every kind of every depot has a validator accepting a valid command, at the edge and in the topology alike', () => {
    for (const depot of depots) {
      for (const command of samples[depot]) {
        expect({ kind: command.kind, error: edgeError(depot, command) }).toEqual({ kind: command.kind, error: undefined });
        expect(topologyError(depot, command)).toBeUndefined();
      }
      expect(edgeError(depot, { kind: 'unknown.kind' })).toEqual({ status: 400, errcode: 'M_BAD_JSON' });
    }
    // The kinds sampled are all of the depot's kinds.
    for (const depot of depots) expect(samples[depot].map((c) => c.kind).sort()).toEqual(kindsOf(depotCommands[depot]).sort());
  });

  it('refuses a lone surrogate in any string of any command, edge and topology alike (M_BAD_JSON)', () => {
    for (const depot of depots) {
      for (const command of samples[depot]) {
        for (const path of stringPaths(command).filter((p) => p[0] !== 'kind')) {
          const bad = withValue(command, path, 'x\udc00');
          expect({ kind: command.kind, path, error: edgeError(depot, bad) }).toEqual({ kind: command.kind, path, error: { status: 400, errcode: 'M_BAD_JSON' } });
          expect(topologyError(depot, bad)).toEqual({ status: 400, errcode: 'M_BAD_JSON' });
        }
        const badKey = { ...command, [`x\ud800`]: 1 };
        expect(edgeError(depot, badKey)).toEqual({ status: 400, errcode: 'M_BAD_JSON' });
      }
    }
  });

  it('refuses a number past what JSON holds (1e400 parses to Infinity) in any field of any command (M_BAD_JSON)', () => {
    for (const depot of depots) {
      for (const command of samples[depot]) {
        for (const path of leafPaths(command).filter((p) => p[0] !== 'kind')) {
          for (const n of [Infinity, -Infinity, NaN]) {
            expect({ kind: command.kind, path, error: edgeError(depot, withValue(command, path, n)) }).toEqual({ kind: command.kind, path, error: { status: 400, errcode: 'M_BAD_JSON' } });
          }
        }
      }
    }
  });

  it('bounds every string: none past 64 KiB, ids and keys at 255 bytes, each with its errcode', () => {
    for (const depot of depots) {
      for (const command of samples[depot]) {
        for (const path of stringPaths(command).filter((p) => p[0] !== 'kind')) {
          const huge = edgeError(depot, withValue(command, path, 'x'.repeat(70_000)));
          expect({ kind: command.kind, path, refused: huge !== undefined }).toEqual({ kind: command.kind, path, refused: true });
          expect(['M_TOO_LARGE', 'M_INVALID_PARAM', 'M_BAD_JSON']).toContain(huge!.errcode);
          expect(topologyError(depot, withValue(command, path, 'x'.repeat(70_000)))).toEqual(huge);
        }
      }
    }
    const send = samples.rooms.find((c) => c.kind === 'send')!;
    expect(edgeError('rooms', { ...send, roomId: `!${'r'.repeat(300)}:localhost` })).toEqual({ status: 400, errcode: 'M_INVALID_PARAM' });
    expect(edgeError('rooms', { ...send, type: 't'.repeat(256) })).toEqual({ status: 400, errcode: 'M_BAD_JSON' });
    expect(edgeError('rooms', { ...send, content: { body: 'x'.repeat(66_000) } })).toEqual({ status: 413, errcode: 'M_TOO_LARGE' });
    expect(edgeError('rooms', { ...send, content: { n: 1.5 } })).toEqual({ status: 400, errcode: 'M_BAD_JSON' });
    const accountData = samples.users.find((c) => c.kind === 'userData.accountData')!;
    expect(edgeError('users', { ...accountData, type: 't'.repeat(2048) })).toEqual({ status: 400, errcode: 'M_INVALID_PARAM' });
    const displayname = samples.users.find((c) => c.kind === 'account.profile')!;
    expect(edgeError('users', { ...displayname, displayname: 'd'.repeat(257) })).toEqual({ status: 400, errcode: 'M_INVALID_PARAM' });
  });

  it('fuzzed: what the edge accepts, a topology parses alike and a PState holds; what it refuses, the topology refuses alike', () => {
    const commands = depots.flatMap((depot) => samples[depot].map((command) => [depot, command] as const));
    const value = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: 'grapheme', minLength: 200, maxLength: 300 }),
      fc.constant('x'.repeat(70_000)),
      fc.constantFrom(Infinity, -Infinity, NaN, 1e300, 2 ** 53, -0, 0.5),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.jsonValue({ maxDepth: 5, stringUnit: 'binary' }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...commands), fc.nat(), value, ([depot, command], pick, v) => {
        const paths = leafPaths(command).filter((p) => p[0] !== 'kind');
        const candidate = withValue(command, paths[pick % paths.length]!, v);
        const edge = edgeError(depot, candidate);
        if (edge === undefined) {
          // Nothing a PState's json() or string() refuses, the same after the depot's JSON text, within a Kinesis record.
          expect(unstorableJson(candidate)).toBeUndefined();
          expect(notPlainJson(candidate)).toBeUndefined();
          const text = JSON.stringify(candidate);
          expect(JSON.stringify(JSON.parse(text))).toBe(text);
          expect(Buffer.byteLength(text)).toBeLessThan(1_000_000);
          // No string past what any field takes (free text and stored JSON stop at 64 KiB).
          expect(Math.max(0, ...stringPaths(candidate).map((p) => Buffer.byteLength(String(p.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], candidate)))))).toBeLessThanOrEqual(65_536);
          expect(topologyError(depot, candidate)).toBeUndefined();
        } else {
          expect(edge).toEqual(edge.errcode === 'M_TOO_LARGE' ? { status: 413, errcode: 'M_TOO_LARGE' } : { status: 400, errcode: expect.stringMatching(/^M_(BAD_JSON|INVALID_PARAM)$/) });
          // What survives JSON text unchanged reaches the topology as sent: refused the same way.
          if (notPlainJson(candidate) === undefined) expect(topologyError(depot, candidate)).toEqual(edge);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts content of any depth and any well-formed strings (fuzzed), edge and topology alike', () => {
    const send = samples.rooms.find((c) => c.kind === 'send')!;
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 8 }).filter((v) => JSON.stringify(v).length < 10_000)), (fields) => {
        const command = { ...send, content: JSON.parse(JSON.stringify(fields)) as Record<string, unknown> };
        const edge = edgeError('rooms', command);
        expect(topologyError('rooms', command)).toEqual(edge);
        // Only floats (canonical JSON takes integers) are refused.
        if (edge) expect(edge.errcode).toBe('M_BAD_JSON');
      }),
      { numRuns: 200 },
    );
  });

  it('a Matrix refusal a topology meets is recorded with its errcode at once; a rate limit is retried', () => {
    expect(deterministicRejection(forbidden('not yours'))).toEqual({ code: 'M_FORBIDDEN', message: 'not yours', status: 403 });
    expect(deterministicRejection(new MatrixError(400, 'M_INVALID_PARAM', 'bad', { field: 'x' }))).toEqual({ code: 'M_INVALID_PARAM', message: 'bad', status: 400, data: { field: 'x' } });
    expect(deterministicRejection(limitExceeded(1000))).toBeUndefined();
    expect(deterministicRejection(new MatrixError(500, 'M_UNKNOWN', 'oops'))).toBeUndefined();
  });
});
