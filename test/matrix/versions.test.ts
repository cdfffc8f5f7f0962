// The versions /versions advertises are honest: every endpoint the spec added up to the newest
// advertised version is declared in Axon's module, except optional modules Axon does not offer.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { supportedVersions } from '../../lib/matrix/discovery.ts';
import { axon } from '../../lib/matrix/module.ts';
import { specDir as specUrl } from '../support/openapi.ts';

const specDir = fileURLToPath(specUrl);

/** Optional modules (spec "Modules") a server may leave out; each absence answers 404 M_UNRECOGNIZED. */
const OPTIONAL = new Set([
  'redirectToSSO', // SSO client login: no identity provider is configured
  'redirectToIdP',
  'generateLoginToken', // login tokens: capability m.get_login_token is off
  'pingAppservice', // application services: none can be registered
  // Server-side key backup keys (E2EE module; versions are served, keys not yet: issue 8).
  'putRoomKeysVersion',
  'deleteRoomKeysVersion',
  'putRoomKeyBySessionId',
  'getRoomKeyBySessionId',
  'deleteRoomKeyBySessionId',
  'putRoomKeysByRoomId',
  'getRoomKeysByRoomId',
  'deleteRoomKeysByRoomId',
  'putRoomKeys',
  'getRoomKeys',
  'deleteRoomKeys',
]);

const minor = (version: string) => Number(version.replace(/^v?1\./, ''));

describe('advertised spec versions', () => {
  it('lists a contiguous run of versions from v1.1', () => {
    expect(supportedVersions.map(minor)).toEqual(supportedVersions.map((_, i) => i + 1));
  });

  it('serves every endpoint added up to the newest advertised version', () => {
    const newest = Math.max(...supportedVersions.map(minor));
    const served = new Set(axon.http!.routes.map((r) => r.operation));
    const missing: string[] = [];
    for (const file of readdirSync(specDir).filter((f) => f.endsWith('.yaml'))) {
      const doc = parse(readFileSync(join(specDir, file), 'utf8')) as { paths?: Record<string, Record<string, { operationId?: string; 'x-addedInMatrixVersion'?: string }>> };
      for (const methods of Object.values(doc.paths ?? {})) {
        for (const op of Object.values(methods)) {
          const added = op?.['x-addedInMatrixVersion'];
          if (!op?.operationId || added === undefined || minor(added) > newest) continue;
          if (!served.has(op.operationId) && !OPTIONAL.has(op.operationId)) missing.push(`${op.operationId} (v${added})`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
