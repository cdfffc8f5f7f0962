// Helpers for the keys tests: real ed25519 keys and signatures (the server verifies cross-signing
// signatures), a user's signed device keys and cross-signing keys, and redelivering a users-depot
// record to the keys topology.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { expect } from 'vitest';
import { kinesisClient } from '../../lib/core/aws-clients.ts';
import { depotStreamName } from '../../lib/core/environment.ts';
import { listShards, readShard } from '../../lib/core/replay.ts';
import { invocationContext, kinesisEvent } from '../../lib/core/topology/records.ts';
import { canonicalJson } from '../../lib/matrix/canonical-json.ts';
import { handler as keysTopologyHandler } from '../../functions/streams/keys.ts';
import type { RegisteredUser } from '../support/accounts.ts';

export const v3 = '/_matrix/client/v3';

export interface SigningKey {
  publicKey: string;
  privateKey: KeyObject;
}

export function signingKey(): SigningKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(12);
  return { publicKey: raw.toString('base64').replace(/=+$/, ''), privateKey };
}

type Json = Record<string, unknown>;

/** The object with `signer`'s signature by `keyId` added (over its canonical JSON without signatures/unsigned). */
export function signed<T extends Json>(object: T, signer: string, keyId: string, key: SigningKey): T {
  const { signatures, unsigned: _unsigned, ...rest } = object as Json & { signatures?: Record<string, Record<string, string>> };
  const signature = sign(null, Buffer.from(canonicalJson(rest), 'utf8'), key.privateKey).toString('base64').replace(/=+$/, '');
  return { ...object, signatures: { ...signatures, [signer]: { ...signatures?.[signer], [keyId]: signature } } };
}

/** A device's keys, self-signed by its ed25519 key. */
export function deviceKeysFor(user: RegisteredUser, deviceKey: SigningKey, deviceId = user.deviceId) {
  const keys = {
    user_id: user.userId,
    device_id: deviceId,
    algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
    keys: { [`curve25519:${deviceId}`]: `curve-${deviceId}`, [`ed25519:${deviceId}`]: deviceKey.publicKey },
  };
  return signed(keys, user.userId, `ed25519:${deviceId}`, deviceKey);
}

export interface CrossSigning {
  master: SigningKey;
  selfSigning: SigningKey;
  userSigning: SigningKey;
  masterKey: Json;
  selfSigningKey: Json;
  userSigningKey: Json;
}

/** Uploads fresh master, self-signing and user-signing keys for the user (through the password stage). */
export async function uploadCrossSigning(user: RegisteredUser): Promise<CrossSigning> {
  const [master, selfSigning, userSigning] = [signingKey(), signingKey(), signingKey()];
  const keyOf = (usage: string, key: SigningKey) => ({ user_id: user.userId, usage: [usage], keys: { [`ed25519:${key.publicKey}`]: key.publicKey } });
  const masterKey = keyOf('master', master);
  const selfSigningKey = signed(keyOf('self_signing', selfSigning), user.userId, `ed25519:${master.publicKey}`, master);
  const userSigningKey = signed(keyOf('user_signing', userSigning), user.userId, `ed25519:${master.publicKey}`, master);
  const body = { master_key: masterKey, self_signing_key: selfSigningKey, user_signing_key: userSigningKey };
  const first = await user.client.post<{ session: string }>(`${v3}/keys/device_signing/upload`, body, { unchecked: true });
  const auth = { type: 'm.login.password', session: first.body.session, identifier: { type: 'm.id.user', user: user.userId }, password: 'correct horse battery staple' };
  const done = await user.client.post(`${v3}/keys/device_signing/upload`, { ...body, auth });
  expect(done.status).toBe(200);
  return { master, selfSigning, userSigning, masterKey, selfSigningKey, userSigningKey };
}

/** Hands the users-depot records matching `match` to the keys topology again; returns how many. */
export async function redeliverToKeysTopology(match: (payload: Json) => boolean): Promise<number> {
  const stream = depotStreamName('users');
  const { StreamDescriptionSummary } = await kinesisClient().send(new DescribeStreamSummaryCommand({ StreamName: stream }));
  const streamArn = StreamDescriptionSummary!.StreamARN!;
  let found = 0;
  for (const shard of await listShards(stream)) {
    for await (const batch of readShard(stream, shard.ShardId!, 1000)) {
      const records = batch.filter((r) => {
        const envelope = JSON.parse(Buffer.from(r.Data!).toString('utf8')) as { payload?: Json };
        return envelope.payload !== undefined && match(envelope.payload);
      });
      if (records.length === 0) continue;
      found += records.length;
      const result = await keysTopologyHandler(kinesisEvent(records, { shardId: shard.ShardId!, streamArn }), invocationContext('keysTopology'));
      expect(result.batchItemFailures).toEqual([]);
    }
  }
  return found;
}
