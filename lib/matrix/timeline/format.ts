// Stored events in the client format for one requester (transaction ids only for the sending device).
import { toClientEvent, type ClientEvent, type RoomEvent } from '../events.ts';
import { membershipAt, type Viewer } from './visibility.ts';

export interface Requester {
  userId: string;
  deviceId: string;
}

/**
 * With the viewer of the room the events are read from (their membership history), each event
 * carries the requester's membership at it, `unsigned.membership` (MSC4115).
 */
export function clientEvents(events: readonly RoomEvent[], requester: Requester, now = Date.now(), viewer?: Viewer): ClientEvent[] {
  return events.map((event) =>
    toClientEvent(event, {
      now,
      requester: { user_id: requester.userId, device_id: requester.deviceId },
      ...(viewer ? { membership: membershipAt(viewer, event) } : {}),
    }),
  );
}
