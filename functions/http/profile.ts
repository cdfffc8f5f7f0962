// Profiles: read anyone's, change one's own (display name and avatar URL).
import { httpFunction } from '../../lib/http/http-function.ts';
import { json } from '../../lib/http/operation.ts';
import { submitAccountCommand } from '../../lib/matrix/accounts/account.ts';
import { authenticate } from '../../lib/matrix/accounts/authenticate.ts';
import { limitProfileChanges } from '../../lib/matrix/accounts/rate-limits.ts';
import { getProfile, profileField, profileValue, writableField, type ProfileField } from '../../lib/matrix/accounts/profile.ts';
import { badJson, notFound } from '../../lib/matrix/errors.ts';
import { axon } from '../../lib/matrix/module.ts';

async function setField(userId: string, field: ProfileField, value: string | null) {
  await limitProfileChanges(userId);
  return submitAccountCommand('account.profile', userId, field === 'displayname' ? { displayname: value } : { avatarUrl: value });
}

export const handler = httpFunction(axon, 'profile', {
  getUserProfile: async (request) => json(await getProfile(request.pathParameters.userId!)),
  getProfileField: async (request) => {
    const { userId, keyName } = request.pathParameters as { userId: string; keyName: string };
    const field = profileField(keyName);
    const profile = await getProfile(userId);
    const value = field ? profile[field] : undefined;
    if (value === undefined) throw notFound(`No ${keyName} in this profile`);
    return json({ [keyName]: value });
  },
  setProfileField: async (request) => {
    const requester = await authenticate(request);
    const { userId, keyName } = request.pathParameters as { userId: string; keyName: string };
    const field = writableField(requester.userId, userId, keyName);
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badJson('Content must be a JSON object');
    await setField(userId, field, profileValue(field, body as Record<string, unknown>));
    return json({});
  },
  deleteProfileField: async (request) => {
    const requester = await authenticate(request);
    const { userId, keyName } = request.pathParameters as { userId: string; keyName: string };
    await setField(userId, writableField(requester.userId, userId, keyName), null);
    return json({});
  },
});
