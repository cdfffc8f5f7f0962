// Profiles: read anyone's, change one's own (display name and avatar URL).
import { json } from '../../lib/http/operation.ts';
import { getProfile, profileField, profileValue, setProfileField, writableField } from '../../lib/matrix/accounts/profile.ts';
import { notFound } from '../../lib/matrix/errors.ts';
import { anyObject } from '../../lib/matrix/request-schemas.ts';
import { matrixFunction, operation } from '../../lib/matrix/routes/operation.ts';

const field = { params: ['userId', 'keyName'] } as const;

export const handler = matrixFunction('profile', {
  getUserProfile: operation({ auth: 'none', params: ['userId'] }, async ({ params }) => json(await getProfile(params.userId))),
  getProfileField: operation({ auth: 'none', ...field }, async ({ params: { userId, keyName } }) => {
    const name = profileField(keyName);
    const profile = await getProfile(userId);
    const value = name ? profile[name] : undefined;
    if (value === undefined) throw notFound(`No ${keyName} in this profile`);
    return json({ [keyName]: value });
  }),
  setProfileField: operation({ auth: 'user', ...field, body: anyObject }, async ({ requester, params: { userId, keyName }, body }) => {
    const name = writableField(requester.userId, userId, keyName);
    await setProfileField(userId, name, profileValue(name, body));
    return json({});
  }),
  deleteProfileField: operation({ auth: 'user', ...field }, async ({ requester, params: { userId, keyName } }) => {
    await setProfileField(userId, writableField(requester.userId, userId, keyName), null);
    return json({});
  }),
});
