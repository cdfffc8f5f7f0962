// Accounts for tests, made through the real API: POST /register with the m.login.dummy
// user-interactive auth flow (the first call gets the 401 with a session, the second completes).
import { expect } from 'vitest';
import { TestClient } from './matrix-client.ts';

export interface RegisteredUser {
  userId: string;
  accessToken: string;
  deviceId: string;
  /** A client authenticated as the new user. */
  client: TestClient;
}

let counter = 0;

/** A fresh localpart, unique within the test run. */
export function uniqueLocalpart(prefix = 'user'): string {
  counter += 1;
  return `${prefix}${counter}_${Math.random().toString(36).slice(2, 8)}`;
}

export async function registerUser(client: TestClient, localpart = uniqueLocalpart(), password = 'correct horse battery staple'): Promise<RegisteredUser> {
  const anonymous = client.withToken();
  const first = await anonymous.post<{ session?: string; flows?: { stages: string[] }[] }>('/_matrix/client/v3/register', {
    username: localpart,
    password,
  });
  expect(first.status, JSON.stringify(first.body)).toBe(401);
  const session = first.body.session;
  const done = await anonymous.post<{ user_id: string; access_token: string; device_id: string }>('/_matrix/client/v3/register', {
    username: localpart,
    password,
    auth: { type: 'm.login.dummy', ...(session ? { session } : {}) },
  });
  expect(done.status, JSON.stringify(done.body)).toBe(200);
  const { user_id: userId, access_token: accessToken, device_id: deviceId } = done.body;
  return { userId, accessToken, deviceId, client: client.withToken(accessToken) };
}

/** Logs an existing user in again (a new device and token). */
export async function loginUser(client: TestClient, user: string, password = 'correct horse battery staple'): Promise<RegisteredUser> {
  const res = await client.withToken().post<{ user_id: string; access_token: string; device_id: string }>('/_matrix/client/v3/login', {
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user },
    password,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return { userId: res.body.user_id, accessToken: res.body.access_token, deviceId: res.body.device_id, client: client.withToken(res.body.access_token) };
}
