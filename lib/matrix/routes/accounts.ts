import type { ModuleFragment } from '../../core/module.ts';
import { depots } from '../depots.ts';
import { accessTokens, connectionOwners, connections, devices, localUsers, media, memberRooms, pushers, pushkeyUsers, rateLimits, uploaderMedia, users } from '../pstates.ts';
import { registrationTokens } from '../registration-tokens/pstates.ts';

const v3 = '/_matrix/client/v3';
const authenticated = [accessTokens] as const;
/** Revoking tokens drops the WebSocket connections opened with them (lib/matrix/push/revoked.ts). */
const dropsConnections = { reads: [connections, connectionOwners], writes: [connections, connectionOwners], pushes: true } as const;

export const accountsRoutes = {
  functions: {
    accounts: {
      entry: 'functions/http/accounts.ts',
      description: 'Registration, login, logout, whoami, password change, deactivation',
      access: {
        reads: [users, ...authenticated, rateLimits, registrationTokens, ...dropsConnections.reads],
        writes: [rateLimits, ...dropsConnections.writes],
        appends: [depots.users],
        pushes: dropsConnections.pushes,
      },
    },
    devices: {
      entry: 'functions/http/devices.ts',
      description: "The user's devices: list, read, rename, delete",
      // rateLimits: deleting devices asks for the password, whose failures are limited (lib/matrix/accounts/uia.ts)
      access: {
        reads: [users, ...authenticated, devices, rateLimits, ...dropsConnections.reads],
        writes: [rateLimits, ...dropsConnections.writes],
        appends: [depots.users],
        pushes: dropsConnections.pushes,
      },
    },
    profile: {
      entry: 'functions/http/profile.ts',
      description: 'Profiles: display name and avatar',
      // rateLimits: profile changes are rate-limited (lib/matrix/accounts/rate-limits.ts limitProfileChanges)
      access: { reads: [users, ...authenticated, rateLimits], writes: [rateLimits], appends: [depots.users] },
    },
    usersTopology: {
      entry: 'functions/streams/users.ts',
      description: 'Applies account commands from the users depot',
      access: {
        reads: [users, accessTokens, devices, memberRooms, registrationTokens, localUsers, pushers, media, ...dropsConnections.reads],
        // pushers: a removed device's pushers go with it (lib/matrix/notifications/pushers.ts)
        // media, uploaderMedia: admins' quarantines and deletions (lib/matrix/media/moderation.ts)
        writes: [users, accessTokens, devices, registrationTokens, localUsers, pushers, pushkeyUsers, media, uploaderMedia, ...dropsConnections.writes],
        appends: [depots.rooms, depots.users],
        pushes: dropsConnections.pushes,
        // A deleted media's bytes and thumbnails.
        deletesBlobs: true,
      },
    },
  },
  routes: [
    { method: 'POST', path: `${v3}/register`, function: 'accounts', operation: 'register' },
    { method: 'GET', path: `${v3}/register/available`, function: 'accounts', operation: 'checkUsernameAvailability' },
    { method: 'GET', path: '/_matrix/client/v1/register/m.login.registration_token/validity', function: 'accounts', operation: 'registrationTokenValidity' },
    { method: 'GET', path: `${v3}/login`, function: 'accounts', operation: 'getLoginFlows' },
    { method: 'POST', path: `${v3}/login`, function: 'accounts', operation: 'login' },
    { method: 'POST', path: `${v3}/refresh`, function: 'accounts', operation: 'refresh' },
    { method: 'POST', path: `${v3}/logout`, function: 'accounts', operation: 'logout' },
    { method: 'POST', path: `${v3}/logout/all`, function: 'accounts', operation: 'logout_all' },
    { method: 'GET', path: `${v3}/account/whoami`, function: 'accounts', operation: 'getTokenOwner' },
    { method: 'POST', path: `${v3}/account/password`, function: 'accounts', operation: 'changePassword' },
    { method: 'POST', path: `${v3}/account/deactivate`, function: 'accounts', operation: 'deactivateAccount' },
    { method: 'GET', path: `${v3}/devices`, function: 'devices', operation: 'getDevices' },
    { method: 'GET', path: `${v3}/devices/{deviceId}`, function: 'devices', operation: 'getDevice' },
    { method: 'PUT', path: `${v3}/devices/{deviceId}`, function: 'devices', operation: 'updateDevice' },
    { method: 'DELETE', path: `${v3}/devices/{deviceId}`, function: 'devices', operation: 'deleteDevice' },
    { method: 'POST', path: `${v3}/delete_devices`, function: 'devices', operation: 'deleteDevices' },
    { method: 'GET', path: `${v3}/profile/{userId}`, function: 'profile', operation: 'getUserProfile' },
    { method: 'GET', path: `${v3}/profile/{userId}/{keyName}`, function: 'profile', operation: 'getProfileField' },
    { method: 'PUT', path: `${v3}/profile/{userId}/{keyName}`, function: 'profile', operation: 'setProfileField' },
    { method: 'DELETE', path: `${v3}/profile/{userId}/{keyName}`, function: 'profile', operation: 'deleteProfileField' },
  ],
  topologies: [{ name: 'users', kind: 'stream', depot: 'users', function: 'usersTopology', batchSize: 100, batchingWindowMs: 0, maxRetries: 10, parallelization: 8, consumer: 'enhanced' }],
} satisfies ModuleFragment;
