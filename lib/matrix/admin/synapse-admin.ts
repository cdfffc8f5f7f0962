// The Synapse-compatible admin API under /_synapse/admin: one catch-all route per method reaches
// this table (the HTTP API's route quota stays for the Client-Server API), which dispatches by the
// path Synapse documents. Every endpoint is for server admins only.
import type { HttpMethod, HttpRouteDecl } from '../../core/module.ts';
import type { HttpRequest, HttpResponse } from '../../http/operation.ts';
import { json } from '../../http/operation.ts';
import { matchRoute, methodsForPath } from '../../http/route-matching.ts';
import { unrecognized } from '../errors.ts';
import { createToken, deleteToken, getToken, updateToken } from '../registration-tokens/manage.ts';
import { listTokens } from '../registration-tokens/tokens.ts';
import { dismissEventReport, eventReportDetails, listEventReports } from './event-reports.ts';
import { booleanParam, requireServerAdmin } from './requests.ts';
import { listRooms, roomDetails, roomMemberList, roomStateEvents } from './rooms.ts';
import { deleteRoom, deleteStatus, deleteStatusByRoom, roomBlockStatus, setRoomBlock } from './room-deletion.ts';
import { deactivateUser, getAdmin, joinedRooms, listDevices, listUsers, putUser, queryUser, resetPassword, setAdmin, userPushers } from './users.ts';
import { whoIs } from './whois.ts';
import { deleteDevice, deleteDevices } from './devices.ts';
import { sendServerNotice } from './server-notices.ts';
import { listRoomMedia, listUserMedia, queryMedia } from './media.ts';
import { deleteMediaById, deleteOldMedia, deleteUserMedia, protectMediaById, purgeMediaCache, quarantineMediaById, quarantineRoomMedia, quarantineUserMedia } from './media-changes.ts';
import { deleteRatelimitOverride, getRatelimitOverride, setRatelimitOverride, setShadowBan } from './moderation.ts';

export const SYNAPSE_ADMIN_PREFIX = '/_synapse/admin';

/** The version Axon reports as its server version. */
export const AXON_VERSION = 'Axon 0.1.0';

interface AdminContext {
  adminId: string;
  params: Readonly<Record<string, string>>;
  request: HttpRequest;
}
type Endpoint = (c: AdminContext) => Promise<HttpResponse>;

/** An endpoint answering 200 with what `run` returns. */
const ok =
  (run: (c: AdminContext) => unknown): Endpoint =>
  async (c) =>
    json(await run(c));

const endpoints: [HttpMethod, string, Endpoint][] = [
  ['GET', '/v1/server_version', ok(() => ({ server_version: AXON_VERSION }))],
  // Users
  ['GET', '/v2/users', ok((c) => listUsers(c.request.query))],
  ['GET', '/v2/users/{userId}', ok((c) => queryUser(c.params.userId!))],
  ['GET', '/v2/users/{userId}/devices', ok((c) => listDevices(c.params.userId!))],
  ['DELETE', '/v2/users/{userId}/devices/{deviceId}', ok((c) => deleteDevice(c.params.userId!, c.params.deviceId!))],
  ['POST', '/v2/users/{userId}/delete_devices', ok((c) => deleteDevices(c.params.userId!, c.request.body))],
  ['GET', '/v1/whois/{userId}', ok((c) => whoIs(c.adminId, c.params.userId!))],
  ['GET', '/v1/users/{userId}/joined_rooms', ok((c) => joinedRooms(c.params.userId!))],
  ['GET', '/v1/users/{userId}/pushers', ok((c) => userPushers(c.params.userId!))],
  ['GET', '/v1/users/{userId}/admin', ok((c) => getAdmin(c.params.userId!))],
  ['GET', '/v1/users/{userId}/media', ok((c) => listUserMedia(c.params.userId!, c.request.query))],
  // 201 when the account was created, 200 when changed.
  ['PUT', '/v2/users/{userId}', async (c) => {
    const { status, body } = await putUser(c.adminId, c.params.userId!, c.request.body, c.request.sourceIp);
    return json(body, status);
  }],
  ['PUT', '/v1/users/{userId}/admin', ok((c) => setAdmin(c.adminId, c.params.userId!, c.request.body))],
  ['POST', '/v1/deactivate/{userId}', ok((c) => deactivateUser(c.params.userId!, c.request.body))],
  ['POST', '/v1/reset_password/{userId}', ok((c) => resetPassword(c.params.userId!, c.request.body))],
  ['GET', '/v1/users/{userId}/override_ratelimit', ok((c) => getRatelimitOverride(c.params.userId!))],
  ['POST', '/v1/users/{userId}/override_ratelimit', ok((c) => setRatelimitOverride(c.params.userId!, c.request.body))],
  ['DELETE', '/v1/users/{userId}/override_ratelimit', ok((c) => deleteRatelimitOverride(c.params.userId!))],
  ['POST', '/v1/users/{userId}/shadow_ban', ok((c) => setShadowBan(c.params.userId!, true))],
  ['DELETE', '/v1/users/{userId}/shadow_ban', ok((c) => setShadowBan(c.params.userId!, false))],
  // Registration tokens
  ['GET', '/v1/registration_tokens', ok((c) => listTokens(booleanParam(c.request.query, 'valid')).then((registration_tokens) => ({ registration_tokens })))],
  ['POST', '/v1/registration_tokens/new', ok((c) => createToken(c.request.body ?? {}))],
  ['GET', '/v1/registration_tokens/{token}', ok((c) => getToken(c.params.token!))],
  ['PUT', '/v1/registration_tokens/{token}', ok((c) => updateToken(c.params.token!, c.request.body ?? {}))],
  ['DELETE', '/v1/registration_tokens/{token}', ok((c) => deleteToken(c.params.token!))],
  // Rooms
  ['GET', '/v1/rooms', ok((c) => listRooms(c.request.query))],
  ['GET', '/v1/rooms/{roomId}', ok((c) => roomDetails(c.params.roomId!))],
  ['GET', '/v1/rooms/{roomId}/members', ok((c) => roomMemberList(c.params.roomId!))],
  ['GET', '/v1/rooms/{roomId}/state', ok((c) => roomStateEvents(c.params.roomId!, c.request.query))],
  ['DELETE', '/v2/rooms/{roomId}', ok((c) => deleteRoom(c.adminId, c.params.roomId!, c.request.body))],
  ['GET', '/v2/rooms/{roomId}/delete_status', ok((c) => deleteStatusByRoom(c.params.roomId!))],
  ['GET', '/v2/rooms/delete_status/{deleteId}', ok((c) => deleteStatus(c.params.deleteId!))],
  ['GET', '/v1/rooms/{roomId}/block', ok((c) => roomBlockStatus(c.params.roomId!))],
  ['PUT', '/v1/rooms/{roomId}/block', ok((c) => setRoomBlock(c.adminId, c.params.roomId!, c.request.body))],
  // Media
  ['GET', '/v1/media/{serverName}/{mediaId}', ok((c) => queryMedia(c.params.serverName!, c.params.mediaId!))],
  ['POST', '/v1/media/quarantine/{serverName}/{mediaId}', ok((c) => quarantineMediaById(c.adminId, c.params.serverName!, c.params.mediaId!, true))],
  ['POST', '/v1/media/unquarantine/{serverName}/{mediaId}', ok((c) => quarantineMediaById(c.adminId, c.params.serverName!, c.params.mediaId!, false))],
  ['POST', '/v1/room/{roomId}/media/quarantine', ok((c) => quarantineRoomMedia(c.adminId, c.params.roomId!))],
  ['POST', '/v1/quarantine_media/{roomId}', ok((c) => quarantineRoomMedia(c.adminId, c.params.roomId!))],
  ['POST', '/v1/user/{userId}/media/quarantine', ok((c) => quarantineUserMedia(c.adminId, c.params.userId!))],
  ['POST', '/v1/media/protect/{mediaId}', ok((c) => protectMediaById(c.params.mediaId!, true))],
  ['POST', '/v1/media/unprotect/{mediaId}', ok((c) => protectMediaById(c.params.mediaId!, false))],
  ['POST', '/v1/purge_media_cache', ok((c) => purgeMediaCache(c.request.query))],
  ['GET', '/v1/room/{roomId}/media', ok((c) => listRoomMedia(c.params.roomId!))],
  ['DELETE', '/v1/media/{serverName}/{mediaId}', ok((c) => deleteMediaById(c.params.serverName!, c.params.mediaId!))],
  ['DELETE', '/v1/users/{userId}/media', ok((c) => deleteUserMedia(c.params.userId!, c.request.query))],
  ['POST', '/v1/media/delete', ok((c) => deleteOldMedia(c.request.query))],
  ['POST', '/v1/media/{serverName}/delete', ok((c) => deleteOldMedia(c.request.query, c.params.serverName!))],
  // Server notices
  ['POST', '/v1/send_server_notice', ok((c) => sendServerNotice(c.adminId, c.request.body))],
  ['PUT', '/v1/send_server_notice/{txnId}', ok((c) => sendServerNotice(c.adminId, c.request.body, c.params.txnId!))],
  // Event reports
  ['GET', '/v1/event_reports', ok((c) => listEventReports(c.request.query))],
  ['GET', '/v1/event_reports/{reportId}', ok((c) => eventReportDetails(c.params.reportId!))],
  ['DELETE', '/v1/event_reports/{reportId}', ok((c) => dismissEventReport(c.adminId, c.params.reportId!))],
];

const routes: (HttpRouteDecl & { endpoint: Endpoint })[] = endpoints.map(([method, path, endpoint]) => ({
  method,
  path: `${SYNAPSE_ADMIN_PREFIX}${path}`,
  function: 'synapseAdmin',
  operation: path,
  endpoint,
}));

/** Answer a request under /_synapse/admin: 404 M_UNRECOGNIZED for paths Axon does not serve (as Synapse), 405 for a wrong method. */
export async function synapseAdmin(request: HttpRequest): Promise<HttpResponse> {
  const match = matchRoute(routes, request.method, request.path);
  if (!match) throw unrecognized(methodsForPath(routes, request.path).length > 0 ? 405 : 404);
  const adminId = await requireServerAdmin(request);
  return (match.route as (typeof routes)[number]).endpoint({ adminId, params: match.pathParameters, request });
}
