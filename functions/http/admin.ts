// Server administration: GET /admin/whois/{userId} (lib/matrix/admin): one's own sessions, or
// anyone's for a server admin (whoIs checks).
import { json, type DeclaredOperation } from '../../lib/http/operation.ts';
import { whoIs } from '../../lib/matrix/admin/whois.ts';
import { operation } from '../../lib/matrix/routes/operation.ts';

export const adminOperations = {
  getWhoIs: operation({ auth: 'user', params: ['userId'] }, async ({ requester, params }) => json(await whoIs(requester.userId, params.userId))),
} satisfies Record<string, DeclaredOperation>;
