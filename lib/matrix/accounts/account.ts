// Changes to an existing account by its owner: logout, password, deactivation, devices, profile.
// Each one is a command on the users depot, applied in order with the user's other commands.
import { submit } from '../commands.ts';
import { hashPassword } from '../passwords.ts';
import type { AccountCommand, AccountCommandOf } from './commands.ts';
import type { Requester } from './authenticate.ts';
import { MAX_PASSWORD_LENGTH } from './sessions.ts';
import { invalidParam } from '../errors.ts';

type Body<K extends AccountCommand['kind']> = Omit<AccountCommandOf<K>, 'kind' | 'userId' | 'ts'>;

export function submitAccountCommand<K extends AccountCommand['kind']>(kind: K, userId: string, body: Body<K>): Promise<Record<string, unknown>> {
  return submit('users', userId, { kind, userId, ts: Date.now(), ...body } as AccountCommand);
}

/** Logs the requester's device out: the device and its token are gone. */
export function logout(requester: Requester) {
  return submitAccountCommand('account.removeDevices', requester.userId, { deviceIds: [requester.deviceId] });
}

export function logoutAll(requester: Requester) {
  return submitAccountCommand('account.removeDevices', requester.userId, { deviceIds: [], all: true });
}

export function removeDevices(requester: Requester, deviceIds: string[]) {
  return submitAccountCommand('account.removeDevices', requester.userId, { deviceIds });
}

/** A new password; by default (the spec's) every other device is logged out. */
export async function changePassword(requester: Requester, newPassword: string, logoutDevices: boolean) {
  if (newPassword.length > MAX_PASSWORD_LENGTH) throw invalidParam(`Password may not be longer than ${MAX_PASSWORD_LENGTH} characters`);
  const passwordHash = await hashPassword(newPassword);
  return submitAccountCommand('account.password', requester.userId, {
    passwordHash,
    ...(logoutDevices ? { keepDeviceId: requester.deviceId } : {}),
  });
}

export function deactivate(requester: Requester) {
  return submitAccountCommand('account.deactivate', requester.userId, {});
}
