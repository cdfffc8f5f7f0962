// Presence: what a user set, and what others see. Decay is computed at read time from the last
// activity, so no timer has to write "unavailable" or "offline":
// - online, and active within IDLE_AFTER_MS: online, currently_active;
// - online or unavailable, inactive longer than IDLE_AFTER_MS: unavailable;
// - inactive longer than OFFLINE_AFTER_MS: offline, whatever was set (a client that stopped
//   syncing and stopped typing is gone; its next /sync or PUT /presence revives it).
// "Activity" is a presence update to online (PUT /presence, /sync's set_presence, the WebSocket
// `presence` action). Only what the user set and the activity time are stored.
import type { PresenceState } from './commands.ts';

export const IDLE_AFTER_MS = 5 * 60_000;
export const OFFLINE_AFTER_MS = 30 * 60_000;

export interface StoredPresence {
  presence: string;
  statusMsg: string;
  lastActiveTs: number;
  /** The device whose going online recorded lastActiveTs; '' when unknown (see refreshPresence). */
  activeDeviceId: string;
}

export interface PresenceView {
  presence: PresenceState;
  last_active_ago?: number;
  currently_active?: boolean;
  status_msg?: string;
}

export function presenceView(stored: StoredPresence | undefined, now: number): PresenceView {
  if (!stored) return { presence: 'offline' };
  const ago = Math.max(0, now - stored.lastActiveTs);
  let presence: PresenceState = stored.presence === 'online' || stored.presence === 'unavailable' ? stored.presence : 'offline';
  if (presence === 'online' && ago > IDLE_AFTER_MS) presence = 'unavailable';
  if (ago > OFFLINE_AFTER_MS) presence = 'offline';
  return {
    presence,
    ...(stored.lastActiveTs > 0 ? { last_active_ago: ago } : {}),
    currently_active: presence === 'online',
    ...(stored.statusMsg !== '' ? { status_msg: stored.statusMsg } : {}),
  };
}

export interface PresenceUpdate {
  presence: PresenceState;
  statusMsg?: string | null;
  at: number;
  deviceId?: string;
}

/** Apply updates in depot order; going online is activity. */
export function applyPresenceUpdates(current: StoredPresence | undefined, updates: readonly PresenceUpdate[]): StoredPresence {
  const next: StoredPresence = current
    ? { ...current, activeDeviceId: current.activeDeviceId ?? '' }
    : { presence: 'offline', statusMsg: '', lastActiveTs: 0, activeDeviceId: '' };
  for (const u of updates) {
    next.presence = u.presence;
    if (u.statusMsg !== undefined) next.statusMsg = u.statusMsg ?? '';
    if (u.presence === 'online') {
      next.lastActiveTs = u.at;
      next.activeDeviceId = u.deviceId ?? '';
    }
  }
  return next;
}

export function presenceEvent(userId: string, view: PresenceView) {
  return { type: 'm.presence', sender: userId, content: view };
}
