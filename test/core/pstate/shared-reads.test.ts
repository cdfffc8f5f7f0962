// Reads shared inside a scope (lib/core/pstate/shared-reads.ts): readers of the listed PStates
// get one request's answer, items of a BatchGetItem already read are not asked again, other
// PStates and readers outside the scope read for themselves, and a shared answer cannot be changed
// by one reader under another's feet. A coalescing scope sends the item reads of one turn as one
// BatchGetItem, and a key that fails it fails only its own reader.
import type { InitializeHandler, InitializeHandlerArguments, MetadataBearer, Pluggable } from '@smithy/types';
import { beforeAll, describe, expect, it } from 'vitest';
import { addClientPlugin, removeClientPlugin } from '../../../lib/core/aws-clients.ts';
import { commit, getMany, inSharedReads, json, map, pstate, sharedReads, string, vector } from '../../../lib/core/pstate/index.ts';
import { z } from 'zod';
import { createTestTable } from './table.ts';

const rooms = pstate('rooms', map(string(), json(z.object({ name: z.string() }))));
const timeline = pstate('timeline', map(string(), vector(string()).subindexed()));
const inbox = pstate('inbox', map(string(), string()));

/** The requests sent while `fn` runs. */
async function requests(fn: () => Promise<unknown>): Promise<number> {
  let sent = 0;
  const plugin: Pluggable<object, MetadataBearer> = {
    applyToStack: (stack) =>
      stack.add((next: InitializeHandler<object, MetadataBearer>) => (args: InitializeHandlerArguments<object>) => (sent++, next(args)), { step: 'initialize', name: 'count' }),
  };
  addClientPlugin(plugin);
  try {
    await fn();
  } finally {
    removeClientPlugin(plugin);
  }
  return sent;
}

beforeAll(async () => {
  await createTestTable('shared-reads');
  await commit([rooms.key('a').set({ name: 'A' }), rooms.key('b').set({ name: 'B' }), inbox.key('u').set('hi'), timeline.key('a').append('one'), timeline.key('a').append('two')]);
});

describe('shared reads', () => {
  it('readers in one scope send one request per item or range page of a shared PState', async () => {
    const scope = sharedReads(['rooms', 'timeline']);
    const reader = () => scope.run(async () => [await rooms.key('a').get({ consistent: true }), (await timeline.key('a').range({ consistent: true })).entries]);
    let answers: unknown[] = [];
    expect(await requests(async () => (answers = await Promise.all([reader(), reader(), reader()])))).toBe(2);
    expect(answers).toEqual(Array.from({ length: 3 }, () => [{ name: 'A' }, [[0, 'one'], [1, 'two']]]));
    expect(scope.stats).toEqual({ sent: 2, shared: 4, coalesced: 0 });
  });

  it('a BatchGetItem asks only for the items the scope has not read yet', async () => {
    const scope = sharedReads(['rooms']);
    await scope.run(() => rooms.key('a').get());
    let items: unknown[] = [];
    expect(await requests(() => scope.run(async () => (items = await getMany([rooms.key('a'), rooms.key('b'), rooms.key('c')]))))).toBe(1);
    expect(items).toEqual([{ name: 'A' }, { name: 'B' }, undefined]);
    expect(await requests(() => scope.run(() => getMany([rooms.key('b'), rooms.key('c')])))).toBe(0);
  });

  it('PStates not listed, reads of another consistency, and readers outside the scope read for themselves', async () => {
    const scope = sharedReads(['rooms']);
    expect(await requests(() => scope.run(async () => [await inbox.key('u').get(), await inbox.key('u').get()]))).toBe(2);
    expect(await requests(() => scope.run(async () => [await rooms.key('a').get(), await rooms.key('a').get({ consistent: true })]))).toBe(2);
    expect(await requests(async () => [await rooms.key('a').get(), await rooms.key('a').get()])).toBe(2);
  });

  it('hands out answers no reader can change for the others', async () => {
    const scope = sharedReads(['rooms']);
    const first = await scope.run(() => rooms.key('b').get());
    // Either refused (a frozen shared item) or the reader's own copy (a json value decoded per read).
    try {
      Object.assign(first!, { name: 'changed' });
    } catch (err) {
      expect(err).toBeInstanceOf(TypeError);
    }
    expect(await scope.run(() => rooms.key('b').get())).toEqual({ name: 'B' });
  });

  it('a coalescing scope sends the item reads its readers make in one turn as one BatchGetItem', async () => {
    const scope = sharedReads([], { coalesce: true });
    let answers: unknown[] = [];
    const sent = await requests(async () => {
      answers = await Promise.all([
        scope.run(() => inbox.key('u').get({ consistent: true })),
        scope.run(() => rooms.key('a').get({ consistent: true })),
        scope.run(() => getMany([rooms.key('b'), rooms.key('c'), inbox.key('u')], { consistent: true })),
      ]);
    });
    expect(sent).toBe(1);
    expect(answers).toEqual(['hi', { name: 'A' }, [{ name: 'B' }, undefined, 'hi']]);
    expect(scope.stats.coalesced).toBe(2);
    // Reads of another consistency are another request; reads of a later turn another batch.
    expect(await requests(() => Promise.all([scope.run(() => rooms.key('a').get()), scope.run(() => rooms.key('a').get({ consistent: true }))]))).toBe(2);
    expect(await requests(() => scope.run(async () => [await rooms.key('a').get(), await rooms.key('b').get()]))).toBe(2);
    // Coalescing alone shares no answer: a reader in such a scope sees writes made before it read.
    await expect(scope.run(async () => inSharedReads())).resolves.toBe(false);
  });

  it('a key that fails a coalesced request fails only its own reader', async () => {
    const scope = sharedReads([], { coalesce: true });
    // The engine refuses every request that asks for inbox 'poison' (as DynamoDB refuses a key it cannot hold).
    let asked = 0;
    const refusing: Pluggable<object, MetadataBearer> = {
      applyToStack: (stack) =>
        stack.add(
          (next: InitializeHandler<object, MetadataBearer>) => (args: InitializeHandlerArguments<object>) => {
            asked++;
            if (JSON.stringify(args.input).includes('poison')) throw new Error('ValidationException: refused');
            return next(args);
          },
          { step: 'initialize', name: 'refusePoison' },
        ),
    };
    addClientPlugin(refusing);
    try {
      const outcomes = await Promise.allSettled([scope.run(() => rooms.key('a').get()), scope.run(() => inbox.key('poison').get())]);
      expect(outcomes[0]).toEqual({ status: 'fulfilled', value: { name: 'A' } });
      expect(outcomes[1]!.status).toBe('rejected');
      // The shared request, then each reader's own.
      expect(asked).toBe(3);
    } finally {
      removeClientPlugin(refusing);
    }
  });
});
