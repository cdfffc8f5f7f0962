// GET /admin/whois/{userId}: a user's sessions. As in Synapse, users may look themselves up and
// server admins anyone; only local users can be looked up. Axon keeps one session per device with
// the device's last-seen address and time (no user agent is recorded).
import { MatrixError, forbidden, invalidParam } from '../errors.ts';
import { isLocalUser, isValidUserId } from '../ids.ts';
import { devices, users } from '../pstates.ts';

export interface WhoIs {
  user_id: string;
  devices: Record<string, { sessions: { connections: { ip?: string; last_seen?: number }[] }[] }>;
}

export async function whoIs(requesterId: string, userId: string): Promise<WhoIs> {
  if (!isValidUserId(userId)) throw invalidParam(`Invalid user ID: ${userId}`);
  if (userId !== requesterId) {
    const requester = await users.key(requesterId).fields(['admin']);
    if (requester?.admin !== true) throw forbidden('You are not a server admin');
  }
  if (!isLocalUser(userId)) throw new MatrixError(400, 'M_UNKNOWN', 'Can only whois a local user');
  const out: WhoIs = { user_id: userId, devices: {} };
  for (const [deviceId, device] of await devices.key(userId).entries()) {
    const connection = {
      ...(device.lastSeenIp ? { ip: device.lastSeenIp } : {}),
      ...(device.lastSeenTs !== undefined ? { last_seen: device.lastSeenTs } : {}),
    };
    out.devices[deviceId] = { sessions: [{ connections: [connection] }] };
  }
  return out;
}
