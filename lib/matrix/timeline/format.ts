// Stored events in the client format for one requester (transaction ids only for the sending device).
import { toClientEvent, type ClientEvent, type RoomEvent } from '../events.ts';

export interface Requester {
  userId: string;
  deviceId: string;
}

export function clientEvents(events: readonly RoomEvent[], requester: Requester, now = Date.now()): ClientEvent[] {
  return events.map((event) => toClientEvent(event, { now, requester: { user_id: requester.userId, device_id: requester.deviceId } }));
}
