// Axon's PStates: each one shaped for the queries it serves (ARCHITECTURE §5). Topologies write
// them; HTTP operations read them. Keys are Matrix ids unless said otherwise.
import { z } from 'zod';
import { boolean, json, map, number, pstate, record, set, string, vector } from '../core/pstate/index.ts';
import type { RoomEvent } from './events.ts';
import type { PushRuleset } from './push-rules.ts';

const jsonObject = z.record(z.string(), z.unknown());
const roomEvent = z.custom<RoomEvent>((v) => typeof v === 'object' && v !== null && typeof (v as RoomEvent).event_id === 'string');

// --- Accounts (written by the users topology) ---

/** A server admin's rate-limit override for a user (Synapse's messages_per_second, burst_count; 0 per second: unlimited). */
export const ratelimitOverride = z.object({ messagesPerSecond: z.number().int().nonnegative(), burstCount: z.number().int().nonnegative() });
export type RatelimitOverride = z.infer<typeof ratelimitOverride>;

/** user id → account. */
export const users = pstate(
  'users',
  map(
    string(),
    record({
      passwordHash: string(),
      createdTs: number(),
      deactivated: boolean(),
      displayname: string(),
      avatarUrl: string(),
      admin: boolean(),
      /** Deactivated with `erase` by an admin: the profile is gone for good. */
      erased: boolean(),
      /** Set by a server admin (lib/matrix/admin/moderation.ts), and copied onto every access token of the user. */
      locked: boolean(),
      shadowBanned: boolean(),
      ratelimit: json(ratelimitOverride),
    }),
  ),
);

/** sha256(access token) → who it authenticates. Tokens themselves are never stored. */
export const accessTokens = pstate(
  'accessTokens',
  map(
    string(),
    record({
      userId: string(),
      deviceId: string(),
      createdTs: number(),
      // The user's moderation, copied here so the request path learns it from the item it reads anyway.
      locked: boolean(),
      shadowBanned: boolean(),
      ratelimit: json(ratelimitOverride.nullable()),
      /** When the token stops working (ms); 0 or absent: never. Only tokens issued with a refresh token expire. */
      expiresTs: number(),
    }),
  ),
);

/** user id → device id → device. */
export const devices = pstate(
  'devices',
  map(
    string(),
    map(
      string(),
      record({
        displayName: string(),
        createdTs: number(),
        lastSeenTs: number(),
        lastSeenIp: string(),
        tokenHash: string(),
        /**
         * sha256 of the refresh token issued with `tokenHash` ('' or absent: the client asked for none).
         * A refresh token names its user and device (lib/matrix/accounts/refresh.ts), so it is
         * found here and goes with its device: no item of its own.
         */
        refreshHash: string(),
        /** sha256 of the refresh token `refreshHash` was issued for ('' or absent: none), still valid until `refreshHash` is used. */
        previousRefreshHash: string(),
      }),
    ).subindexed(),
  ),
);

/** user id → key (`<room id or empty>\u0000<type>`) → account data content. */
export const accountData = pstate('accountData', map(string(), map(string(), json(jsonObject)).subindexed()));

/** user id → filter id → the filter exactly as uploaded (clients deep-compare it). */
export const filters = pstate('filters', map(string(), map(string(), json(jsonObject)).subindexed()));

/** user id → the user's push ruleset (absent: the spec's defaults). */
export const pushRules = pstate('pushRules', map(string(), json(z.custom<PushRuleset>((v) => typeof v === 'object' && v !== null))));

// --- Rooms (written by the rooms topology) ---

/** room alias → room. */
export const roomAliases = pstate('roomAliases', map(string(), record({ roomId: string(), creator: string() })));

/** room id → the local aliases pointing at it (GET /rooms/{roomId}/aliases); kept with roomAliases. */
export const roomLocalAliases = pstate('roomLocalAliases', map(string(), set(string()).subindexed()));

/** room id → what every read of the room needs first. */
export const roomInfo = pstate(
  'roomInfo',
  map(
    string(),
    record({
      version: string(),
      creator: string(),
      createdTs: number(),
      /** Position of the newest event (the timeline's size). */
      lastPosition: number(),
      /** Id of the newest event: the next event's prev_events. */
      lastEventId: string(),
      /** Depot sequence number (sequencePosition form) and lane (lib/core/partitions.ts) of the newest event, for sync. */
      lastSeq: string(),
      /**
       * The lane, under its name from before depot partitions: a room last written then has its
       * shard id here, which is its lane still (that shard's watermark stays where its records left it).
       */
      shardId: string(),
      joinedCount: number(),
      invitedCount: number(),
      /** Listed in the public room directory. */
      published: boolean(),
      /**
       * Purged by a server admin (DELETE /_synapse/admin/v2/rooms): the room reads as unknown
       * (lib/matrix/rooms/deletion.ts says why it is a mark, not a deletion of its items).
       */
      purged: boolean(),
      /**
       * origin_server_ts of the newest event that counts as activity for room lists (MSC4186's
       * bump_stamp: messages, encrypted, stickers, calls, polls, beacons, the create); absent in
       * rooms not written since it was added: createdTs stands in.
       */
      bumpStamp: number(),
      /**
       * The bumpStamp before the newest bump: the activity index's entries under it are the ones
       * the bump's fan-out replaces (lib/matrix/rooms/activity-index.ts).
       */
      priorBumpStamp: number(),
    }),
  ),
);

/** room id → `stateKeyOf(type, state key)` → the current state event. */
export const roomState = pstate('roomState', map(string(), map(string(), json(roomEvent)).subindexed()));

/** room id → user id → the member's current membership (count = everyone ever a member). */
export const roomMembers = pstate(
  'roomMembers',
  map(
    string(),
    map(
      string(),
      record({
        membership: string(),
        eventId: string(),
        position: number(),
        displayname: string(),
        avatarUrl: string(),
      }),
    ).subindexed(),
  ),
);

/** user id → room id → the user's membership there, with where it changed (for sync). */
export const memberRooms = pstate(
  'memberRooms',
  map(
    string(),
    map(string(), record({ membership: string(), eventId: string(), position: number(), seq: string(), forgotten: boolean() })).subindexed(),
  ),
);

/**
 * user id → `activityKey(bump stamp, room id)` → the user's membership (join, invite, knock): the
 * rooms a sliding sync list may hold, ordered by activity, so a window of the newest is one Query
 * and a list's count is the map's size (lib/matrix/rooms/activity-index.ts keeps it).
 */
export const roomActivity = pstate('roomActivity', map(string(), map(string(), string()).subindexed()));

/**
 * user id → whether their activity index is kept: `flaggedAt` (written first, by their first sliding
 * sync: from then on the rooms topology keeps their entries), `builtAt` (their rooms from before
 * the flag have been built into it). Absent: nobody keeps an index for them.
 */
export const roomActivityBuilt = pstate('roomActivityBuilt', map(string(), record({ flaggedAt: number(), builtAt: number() })));

/**
 * room id → user id → the membership (join, invite, knock) of each member whose activity index
 * holds the room: whom a bump's fan-out moves (only users of sliding sync; lib/matrix/rooms/activity-index.ts).
 */
export const roomActivityMembers = pstate('roomActivityMembers', map(string(), map(string(), string()).subindexed()));

/** One timeline entry: the event and where the depot put it (for sync tokens). */
export const timelineEntry = z.object({
  event: roomEvent,
  /** Kinesis sequence number of the command that produced the event (sequencePosition form). */
  seq: z.string(),
  /** history_visibility in force when the event was sent. */
  visibility: z.string(),
});
export type TimelineEntry = z.infer<typeof timelineEntry>;

/** room id → the room's events in order; index = position - 1 (event `depth` = position). */
export const roomTimeline = pstate('roomTimeline', map(string(), vector(json(timelineEntry)).subindexed()));

/** event id → where it is. */
export const eventLocations = pstate('eventLocations', map(string(), record({ roomId: string(), position: number() })));

/** room id → user id → the user's membership changes, in order (history visibility reads). */
export const membershipHistory = pstate(
  'membershipHistory',
  map(string(), map(string(), vector(record({ position: number(), membership: string() })).subindexed()).subindexed()),
);

/**
 * `<user id>\u0000<device id>\u0000<room id>\u0000<txn id>` → the event it created (idempotent sends);
 * redactions use `<user id>\u0000<device id>\u0000redact\u0000<room id>\u0000<txn id>` (another endpoint).
 * Keys written before they named the room lack `<room id>\u0000` (still read: rooms/send.ts).
 */
export const transactionIds = pstate('transactionIds', map(string(), record({ eventId: string(), roomId: string() })));

/** `directory` → room ids published in the public room directory. */
export const publicRooms = pstate('publicRooms', map(string(), map(string(), number()).subindexed()));

/**
 * Rate limit state by key: `<key>@<window>` → the requests counted in that fixed window
 * (`count`); `bucket:<key>` → a token bucket's theoretical arrival time (`tat`, epoch ms; GCRA).
 */
export const rateLimits = pstate('rateLimits', map(string(), record({ windowStart: number(), count: number(), tat: number() })));

/**
 * The server-wide lists below are spread over LIST_BUCKETS partitions by a hash of the id: each
 * add also updates its set's size in the set's parent item, so with one partition every
 * registration (room creation) would write the same item and concurrent ones would conflict and
 * retry in turn — and on AWS one partition takes at most 1,000 writes a second. A list is read
 * by reading every bucket.
 */
export const LIST_BUCKETS = 32;

/** The bucket of an id in a server-wide list (FNV-1a of its UTF-16 code units). */
export function listBucket(id: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return `b${String(hash % LIST_BUCKETS).padStart(2, '0')}`;
}

/** Every bucket key of a server-wide list. */
export const listBuckets = (): string[] => Array.from({ length: LIST_BUCKETS }, (_, i) => `b${String(i).padStart(2, '0')}`);

/** Every id of a server-wide list (every bucket read), in order. */
export async function listedIds(list: typeof localUsers): Promise<string[]> {
  const buckets = await Promise.all(listBuckets().map((b) => list.key(b).entries({ limit: 1000 })));
  return buckets.flat().map((id) => id as string).sort();
}

/** bucket → the local user ids ever registered in it (the admin API's user list). Written by the users topology. */
export const localUsers = pstate('localUsers', map(string(), set(string()).subindexed()));

/** bucket → the rooms created here in it (the admin API's room list). Written by the rooms topology. */
export const localRooms = pstate('localRooms', map(string(), set(string()).subindexed()));

/** room id → the server admin who blocked it: no one may join, be invited or knock, nor point an alias at it. */
export const blockedRooms = pstate('blockedRooms', map(string(), record({ userId: string(), ts: number() })));

/** A room deletion's task (Synapse's delete_status): what it planned, where it is, what it did. */
export const roomDeletionTask = z.object({
  roomId: z.string(),
  status: z.enum(['active', 'complete', 'failed']),
  requester: z.string(),
  block: z.boolean(),
  purge: z.boolean(),
  forcePurge: z.boolean(),
  /** The local users joined, invited or knocking when it started: each is made to leave. */
  planned: z.array(z.string()),
  kickedUsers: z.array(z.string()),
  failedToKickUsers: z.array(z.string()),
  localAliases: z.array(z.string()),
  error: z.string().optional(),
  startedTs: z.number(),
  /** With `new_room_user_id`: the room the planned members who were joined (`moved`) join, and the message its creator posts there. */
  newRoom: z.object({ roomId: z.string(), creator: z.string(), message: z.string(), moved: z.array(z.string()) }).optional(),
});
export type RoomDeletionTask = z.infer<typeof roomDeletionTask>;

/** delete id → its room deletion task. */
export const roomDeletions = pstate('roomDeletions', map(string(), json(roomDeletionTask)));

/** room id → the ids of its deletion tasks (GET /v2/rooms/{roomId}/delete_status). */
export const roomDeletionIds = pstate('roomDeletionIds', map(string(), set(string()).subindexed()));

export const accountPStates = [users, accessTokens, devices, accountData, filters, pushRules, rateLimits, localUsers] as const;
export const roomPStates = [
  localRooms,
  roomAliases,
  roomLocalAliases,
  roomInfo,
  roomState,
  roomMembers,
  memberRooms,
  roomActivity,
  roomActivityBuilt,
  roomActivityMembers,
  roomTimeline,
  eventLocations,
  membershipHistory,
  transactionIds,
  publicRooms,
  blockedRooms,
  roomDeletions,
  roomDeletionIds,
] as const;

// --- Sync (lib/matrix/sync; ARCHITECTURE §6) ---

/**
 * `shards` → `<stream>/<lane>` (streams `rooms`, `userData`, `keys`: a lane of the depot, its shard
 * and partition; `ephemeral`, `presence`: a shard) → sequencePosition of the newest record applied
 * there, written once that record's writes are committed: sync delivers (since, watermark] per
 * lane, without gaps. Every stream's lanes sit in ONE partition so a sync pass reads them all
 * with one Query (lib/matrix/sync/watermark.ts).
 */
export const syncWatermarks = pstate('syncWatermarks', map(string(), map(string(), string()).subindexed()));

/**
 * user id → what a waiting /sync polls (one GetItem): `wakes` is bumped when something happens
 * for the user; `onlineUntil` (epoch ms) says until when the user is registered online in their
 * rooms (long-polling or WebSocket-connected); `pollingUntil` until when a long-poll may wait (only
 * those are woken: a connected member gets a frame instead); `connectedUntil` until when the user
 * may have an open WebSocket connection (only those are looked up for pushes).
 */
export const syncWake = pstate(
  'syncWake',
  map(string(), record({ wakes: number(), onlineUntil: number(), pollingUntil: number(), connectedUntil: number() })),
);

/** room id → user id → until when (epoch ms) the member is online (waiting on /sync): whom to wake. */
export const roomOnlineMembers = pstate('roomOnlineMembers', map(string(), map(string(), number()).subindexed()));

/**
 * user id → accountData key (plus `\u0000m.push_rules`) → `<lane>/<sequencePosition>` of the userData record
 * that last changed it, so an incremental sync delivers only account data changed since its token.
 */
export const accountDataChanges = pstate('accountDataChanges', map(string(), map(string(), string()).subindexed()));

export const syncPStates = [syncWatermarks, syncWake, roomOnlineMembers, accountDataChanges] as const;

// --- WebSocket connections (lib/matrix/push; ARCHITECTURE §7) ---
// Written directly by the $connect / $disconnect functions and by pushes that meet a gone
// connection, not through a depot: they are the gateway's own ephemeral state (like API Gateway's
// connection table), not Matrix data, and nothing is ever rebuilt from them.

/**
 * user id → connection id → an open WebSocket connection. `cursor` is the sync token of the last
 * frame pushed to it (a client's catch-up `since`); `floor` the rooms watermarks read once the
 * connection was registered: every event above them is pushed to it; `filter` (optional) the
 * connection's sync filter.
 */
export const connections = pstate(
  'connections',
  map(
    string(),
    map(
      string(),
      record({
        deviceId: string(),
        connectedAt: number(),
        cursor: string(),
        floor: string(),
        /** The sync filter named at $connect (a FilterDefinition as JSON), applied to every frame. */
        filter: string(),
        /** The hash of the access token the connection was opened with: it lives as long as that token. */
        tokenHash: string(),
      }),
    ).subindexed(),
  ),
);

/**
 * connection id → whose it is and the hash of the token it was opened with ($disconnect and
 * client messages know only the id; every client message checks the token still exists).
 */
export const connectionOwners = pstate('connectionOwners', map(string(), record({ userId: string(), tokenHash: string() })));

export const connectionPStates = [connections, connectionOwners] as const;

// --- Ephemeral: typing, receipts, presence (written by the ephemeral microbatch topology) ---
// `seq` fields hold the sequencePosition of the last record of the batch that changed them, and
// the `ephemeral` / `presence` streams of `syncWatermarks` hold, per shard, the newest batch committed: a
// sync delivers what changed in (token, watermark] exactly as for the rooms stream.

/**
 * room id → the room's ephemeral state in one item: who is typing (user id → until when, epoch
 * ms; expired entries are ignored on read and dropped at the next fold) and where typing and
 * receipts last changed.
 */
export const roomEphemeral = pstate(
  'roomEphemeral',
  map(
    string(),
    record({
      typing: json(z.record(z.string(), z.number())),
      typingSeq: string(),
      receiptsSeq: string(),
      shardId: string(),
    }),
  ),
);

/**
 * room id → `<receipt type>\u0000<thread id or empty>\u0000<user id>` → the receipt. `position` is
 * the event's position in the room (receipts only move forward); `seq` as above.
 */
export const roomReceipts = pstate(
  'roomReceipts',
  map(
    string(),
    map(string(), record({ eventId: string(), ts: number(), threadId: string(), position: number(), seq: string() })).subindexed(),
  ),
);

/**
 * user id → the presence the user set and when they were last active (`activeDeviceId`: the device
 * that went online then, '' when unknown; absent in items written before it was kept). What others
 * see is derived at read time (lib/matrix/ephemeral/presence.ts): no timer writes decay.
 */
export const presence = pstate(
  'presence',
  map(
    string(),
    record({ presence: string(), statusMsg: string(), lastActiveTs: number(), activeDeviceId: string(), seq: string(), shardId: string() }),
  ),
);

export const ephemeralPStates = [roomEphemeral, roomReceipts, presence] as const;

// --- Media (lib/matrix/media) ---
// Uploads write directly from the media function, not through a depot: a media id is random and
// each entry is written twice at most, conditionally (created, then uploaded once), so there is no
// ordering for a depot to provide, and nothing else derives from it. An admin's quarantine or
// deletion is a command on the users depot, applied in the uploader's order (media/commands.ts).

/**
 * media id → what was uploaded and by whom. `blobKey` names the bytes in the blob store; absent
 * while a `POST /create`d id awaits its upload. `quarantinedBy`: the admin who quarantined it
 * (it is not served while set).
 */
export const media = pstate(
  'media',
  map(
    string(),
    record({
      uploader: string(),
      createdTs: number(),
      uploadedTs: number(),
      contentType: string(),
      filename: string(),
      size: number(),
      blobKey: string(),
      quarantinedBy: string(),
      /** Protected by an admin: quarantine passes it by (Synapse's safe_from_quarantine). */
      safeFromQuarantine: boolean(),
    }),
  ),
);

/** uploader → media id → when it was created: a user's media (the admin API's list). Written with the media entry. */
export const uploaderMedia = pstate('uploaderMedia', map(string(), map(string(), number()).subindexed()));

export const mediaPStates = [media, uploaderMedia] as const;

// --- End-to-end encryption keys (written by the keys topology on the users depot; lib/matrix/keys) ---
// The server stores and routes what clients upload; it never decrypts or checks signatures.

/** user id → device id → the device's signed `device_keys` object exactly as uploaded. */
export const deviceKeys = pstate('deviceKeys', map(string(), map(string(), json(jsonObject)).subindexed()));

/** `<user id>\u0000<device id>` → `<algorithm>:<key id>` → an unclaimed one-time key. */
export const oneTimeKeys = pstate('oneTimeKeys', map(string(), map(string(), json(z.unknown())).subindexed()));

/** `<user id>\u0000<device id>` → algorithm → the device's fallback key (kept when claimed; `used` set). */
export const fallbackKeys = pstate(
  'fallbackKeys',
  map(string(), map(string(), record({ keyId: string(), key: json(z.unknown()), used: boolean() })).subindexed()),
);

/**
 * user id → `<shard id>/<sequencePosition>` of the keys record that last changed the user's device
 * list (device keys): sync and /keys/changes compare it with the token's `k` positions.
 */
export const deviceListChanges = pstate('deviceListChanges', map(string(), string()));

export const keysPStates = [deviceKeys, oneTimeKeys, fallbackKeys, deviceListChanges] as const;

// --- To-device messages (keys topology; lib/matrix/keys/to-device.ts) ---

/** `<user id>\u0000<device id>` → `<sequencePosition>.<index>` (delivery order) → the to-device event. */
export const toDeviceInbox = pstate(
  'toDeviceInbox',
  map(string(), map(string(), record({ sender: string(), type: string(), content: json(jsonObject) })).subindexed()),
);

/** `<recipient>\u0000<sender>\u0000<sender device>\u0000<txn id>` → when it was delivered (idempotent sends). */
export const toDeviceTxns = pstate('toDeviceTxns', map(string(), number()));

export const toDevicePStates = [toDeviceInbox, toDeviceTxns] as const;

// --- Server-side key backup (keys topology; lib/matrix/keys/backup.ts) ---

/**
 * user id → backup version (1, 2, ...) → the version's metadata; the newest not `deleted` is the
 * current one (a deleted version stays as a tombstone so its number is never reused). `count` is
 * how many session keys it holds, `etag` counts changes to them.
 */
export const keyBackupVersions = pstate(
  'keyBackupVersions',
  map(
    string(),
    map(number(), record({ algorithm: string(), authData: json(jsonObject), deleted: boolean(), count: number(), etag: number() })).subindexed(),
  ),
);

/** `<user id>\u0000<version>` → `<room id>\u0000<session id>` → the backed-up session key (KeyBackupData). */
export const keyBackupKeys = pstate('keyBackupKeys', map(string(), map(string(), json(jsonObject)).subindexed()));

export const keyBackupPStates = [keyBackupVersions, keyBackupKeys] as const;

// --- Cross-signing (keys topology; lib/matrix/keys/cross-signing.ts) ---

/** user id → `master` | `self_signing` | `user_signing` → the key object as uploaded. */
export const crossSigningKeys = pstate('crossSigningKeys', map(string(), map(string(), json(jsonObject)).subindexed()));

/**
 * target user id → `<target key id>\u0000<signer user id>\u0000<signer key id>` → a signature
 * uploaded with POST /keys/signatures/upload (key id: a device id or a master public key).
 * `signedKey` is the target's ed25519 public key it signed: /keys/query merges it only while the
 * target still has that key.
 */
export const crossSigningSignatures = pstate(
  'crossSigningSignatures',
  map(string(), map(string(), record({ signature: string(), signedKey: string() })).subindexed()),
);

/**
 * signer user id → target user id → `<shard id>/<sequencePosition>` of the keys record where the
 * signer last signed the target's master key: the target's device list is "changed" for the signer.
 */
export const signatureChanges = pstate('signatureChanges', map(string(), map(string(), string()).subindexed()));

export const crossSigningPStates = [crossSigningKeys, crossSigningSignatures, signatureChanges] as const;

// --- Notification counts and pushers (lib/matrix/notifications) ---

/**
 * `<user id>\u0000<room id>` → what the user's unread notification counts in the room are made of
 * (lib/matrix/notification-counts.ts): count = the room's tally (roomNotificationTally) − the
 * baseline (`baseNotifications`/`baseHighlights`: the tally at the user's join or last read
 * receipt) + the exceptions (`notifications`/`highlights`: the sum, over the events where the
 * user's own outcome differs from the room's common one, of the difference), never below 0.
 * `position` is the newest room position the exceptions account for: the rooms topology adds a
 * record's exceptions only above it, which makes a redelivered record count nothing twice;
 * `readPosition` is the newest read receipt folded in. One item per (user, room), each its own
 * partition: a member whose outcome is the common one is not written per message.
 */
export const notificationCounts = pstate(
  'notificationCounts',
  map(
    string(),
    record({
      notifications: number(),
      highlights: number(),
      baseNotifications: number(),
      baseHighlights: number(),
      position: number(),
      readPosition: number(),
    }),
  ),
);

/**
 * room id → the room's notification tally: how many of its events, up to `position` (the last
 * event counted), notify / highlight an ordinary member (the server's default rules, not the
 * sender, not mentioned, no display name match). One guarded increment per message, whatever
 * the room's size; members' differences are their exceptions in notificationCounts.
 */
export const roomNotificationTally = pstate(
  'roomNotificationTally',
  map(string(), record({ position: number(), notifications: number(), highlights: number() })),
);

/** user id → `<app id>\u0000<pushkey>` → a pusher as POST /pushers/set stored it (GET /pushers). */
export const pushers = pstate('pushers', map(string(), map(string(), json(jsonObject)).subindexed()));

/** `<app id>\u0000<pushkey>` → the users holding a pusher with it (a non-appending set removes the others'). */
export const pushkeyUsers = pstate('pushkeyUsers', map(string(), set(string()).subindexed()));

export const notificationPStates = [notificationCounts, roomNotificationTally, pushers, pushkeyUsers] as const;
