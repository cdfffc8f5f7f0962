// Reads of a user's devices, shaped as the spec's `client_device`.
import { devices } from '../pstates.ts';

export interface ClientDevice {
  device_id: string;
  display_name?: string;
  last_seen_ip?: string;
  last_seen_ts?: number;
}

type StoredDevice = { displayName?: string; lastSeenIp?: string; lastSeenTs?: number };

function clientDevice(deviceId: string, d: StoredDevice): ClientDevice {
  return {
    device_id: deviceId,
    ...(d.displayName ? { display_name: d.displayName } : {}),
    ...(d.lastSeenIp ? { last_seen_ip: d.lastSeenIp } : {}),
    ...(d.lastSeenTs !== undefined ? { last_seen_ts: d.lastSeenTs } : {}),
  };
}

export async function listDevices(userId: string): Promise<ClientDevice[]> {
  return (await devices.key(userId).entries()).map(([deviceId, device]) => clientDevice(deviceId, device));
}

export async function getDevice(userId: string, deviceId: string): Promise<ClientDevice | undefined> {
  const device = await devices.key(userId).key(deviceId).get();
  return device ? clientDevice(deviceId, device) : undefined;
}
