// End-to-end encryption plumbing: device, one-time and fallback keys, and the topology that applies
// their uploads and claims from the users depot (beside the accounts and user-data topologies, own
// kinds only). The server stores and routes what clients give it; it never decrypts.
import type { ModuleFragment } from '../../core/module.ts';
import { syncNeededPushAccess, wakesLongPolls } from './sync.ts';
import { depots } from '../depots.ts';
import { accessTokens, crossSigningKeys, crossSigningSignatures, deviceKeys, deviceListChanges, devices, fallbackKeys, keyBackupKeys, keyBackupVersions, memberRooms, membershipHistory, oneTimeKeys, rateLimits, roomInfo, roomMembers, roomTimeline, signatureChanges, syncWake, syncWatermarks, toDeviceInbox, toDeviceTxns, users } from '../pstates.ts';

const v3 = '/_matrix/client/v3';
const auth = [accessTokens];

export const keysRoutes = {
  functions: {
    keys: {
      entry: 'functions/http/keys.ts',
      description: 'Device keys: upload, query, claim, changes',
      access: {
        // devices and users: which claimed and queried ids exist; rateLimits: claims count as fan-out
        // writes, and uploading cross-signing keys asks for the password, whose failures are limited
        // (lib/matrix/accounts/uia.ts); membershipHistory, roomTimeline: /keys/changes asks whether the
        // requester joined a room since (lib/matrix/sync/cut.ts joinedSince)
        reads: [...auth, deviceKeys, deviceListChanges, memberRooms, membershipHistory, roomTimeline, roomMembers, roomInfo, crossSigningKeys, crossSigningSignatures, signatureChanges, users, devices, rateLimits],
        writes: [rateLimits],
        appends: [depots.users],
      },
    },
    toDevice: {
      entry: 'functions/http/to-device.ts',
      description: 'PUT /sendToDevice: to-device messages into the recipients\' inboxes',
      // users: which recipients exist; rateLimits: a send counts as a fan-out write
      access: { reads: [...auth, users, rateLimits], writes: [rateLimits], appends: [depots.users] },
    },
    keyBackup: {
      entry: 'functions/http/key-backup.ts',
      description: 'Server-side key backup: versions and the session keys in them',
      access: { reads: [...auth, keyBackupVersions, keyBackupKeys], appends: [depots.users] },
    },
    keysTopology: {
      entry: 'functions/streams/keys.ts',
      description: 'Applies key uploads and one-time key claims from the users depot',
      access: {
        reads: [deviceKeys, oneTimeKeys, fallbackKeys, memberRooms, roomMembers, devices, toDeviceInbox, toDeviceTxns, keyBackupVersions, keyBackupKeys, crossSigningKeys, crossSigningSignatures, signatureChanges, ...syncNeededPushAccess.reads],
        writes: [deviceKeys, oneTimeKeys, fallbackKeys, deviceListChanges, syncWatermarks, syncWake, toDeviceInbox, toDeviceTxns, keyBackupVersions, keyBackupKeys, crossSigningKeys, crossSigningSignatures, signatureChanges, ...syncNeededPushAccess.writes],
        // sync_needed frames to connections (to-device messages, device-list changes)
        pushes: syncNeededPushAccess.pushes,
        // continuations of a device removal bigger than one transaction
        appends: [depots.users],
        notifies: wakesLongPolls,
      },
    },
  },
  routes: [
    { method: 'POST', path: `${v3}/keys/upload`, function: 'keys', operation: 'uploadKeys' },
    { method: 'POST', path: `${v3}/keys/query`, function: 'keys', operation: 'queryKeys' },
    { method: 'POST', path: `${v3}/keys/claim`, function: 'keys', operation: 'claimKeys' },
    { method: 'POST', path: `${v3}/keys/device_signing/upload`, function: 'keys', operation: 'uploadCrossSigningKeys' },
    { method: 'POST', path: `${v3}/keys/signatures/upload`, function: 'keys', operation: 'uploadCrossSigningSignatures' },
    { method: 'GET', path: `${v3}/keys/changes`, function: 'keys', operation: 'getKeysChanges' },
    { method: 'POST', path: `${v3}/room_keys/version`, function: 'keyBackup', operation: 'postRoomKeysVersion' },
    { method: 'GET', path: `${v3}/room_keys/version`, function: 'keyBackup', operation: 'getRoomKeysVersionCurrent' },
    { method: 'GET', path: `${v3}/room_keys/version/{version}`, function: 'keyBackup', operation: 'getRoomKeysVersion' },
    { method: 'PUT', path: `${v3}/room_keys/version/{version}`, function: 'keyBackup', operation: 'putRoomKeysVersion' },
    { method: 'DELETE', path: `${v3}/room_keys/version/{version}`, function: 'keyBackup', operation: 'deleteRoomKeysVersion' },
    { method: 'PUT', path: `${v3}/room_keys/keys`, function: 'keyBackup', operation: 'putRoomKeys' },
    { method: 'GET', path: `${v3}/room_keys/keys`, function: 'keyBackup', operation: 'getRoomKeys' },
    { method: 'DELETE', path: `${v3}/room_keys/keys`, function: 'keyBackup', operation: 'deleteRoomKeys' },
    { method: 'PUT', path: `${v3}/room_keys/keys/{roomId}`, function: 'keyBackup', operation: 'putRoomKeysByRoomId' },
    { method: 'GET', path: `${v3}/room_keys/keys/{roomId}`, function: 'keyBackup', operation: 'getRoomKeysByRoomId' },
    { method: 'DELETE', path: `${v3}/room_keys/keys/{roomId}`, function: 'keyBackup', operation: 'deleteRoomKeysByRoomId' },
    { method: 'PUT', path: `${v3}/room_keys/keys/{roomId}/{sessionId}`, function: 'keyBackup', operation: 'putRoomKeyBySessionId' },
    { method: 'GET', path: `${v3}/room_keys/keys/{roomId}/{sessionId}`, function: 'keyBackup', operation: 'getRoomKeyBySessionId' },
    { method: 'DELETE', path: `${v3}/room_keys/keys/{roomId}/{sessionId}`, function: 'keyBackup', operation: 'deleteRoomKeyBySessionId' },
    { method: 'PUT', path: `${v3}/sendToDevice/{eventType}/{txnId}`, function: 'toDevice', operation: 'sendToDevice' },
  ],
  topologies: [
    { name: 'keys', kind: 'stream', depot: 'users', function: 'keysTopology', batchSize: 100, batchingWindowMs: 0, maxRetries: 10, parallelization: 8, consumer: 'enhanced' },
  ],
} satisfies ModuleFragment;
