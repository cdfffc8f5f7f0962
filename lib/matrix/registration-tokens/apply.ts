// The users topology's decisions on registration token commands (commands.ts), each read against
// the token's current state: the topology applies a token's commands in order.
import type { WriteOp } from '../../core/pstate/index.ts';
import { invalidParam, notFound } from '../errors.ts';
import type { RegistrationTokenCommand } from './commands.ts';
import { tokenObject, tokenPath, type RegistrationTokenObject, type StoredToken } from './tokens.ts';

export interface TokenPlan {
  ops: WriteOp[];
  value: RegistrationTokenObject | Record<string, never>;
}

const noSuchToken = (token: string) => notFound(`No such registration token: ${token}`);

export async function planTokenCommand(c: RegistrationTokenCommand): Promise<TokenPlan> {
  const path = tokenPath(c.token);
  const stored = await path.get({ consistent: true });
  switch (c.kind) {
    case 'registrationToken.create': {
      if (stored) throw invalidParam(`Token already exists: ${c.token}`);
      const created = {
        createdTs: c.ts,
        pending: 0,
        completed: 0,
        ...(c.usesAllowed !== null ? { usesAllowed: c.usesAllowed } : {}),
        ...(c.expiryTime !== null ? { expiryTime: c.expiryTime } : {}),
      };
      const ops: WriteOp[] = [path.field('createdTs').set(c.ts, { ifAbsent: true }), path.field('pending').set(0), path.field('completed').set(0)];
      if (c.usesAllowed !== null) ops.push(path.field('usesAllowed').set(c.usesAllowed));
      if (c.expiryTime !== null) ops.push(path.field('expiryTime').set(c.expiryTime));
      return { ops, value: tokenObject(c.token, created) };
    }
    case 'registrationToken.update': {
      if (!stored) throw noSuchToken(c.token);
      const ops: WriteOp[] = [];
      const next: StoredToken = { ...stored };
      if (c.usesAllowed !== undefined) {
        ops.push(c.usesAllowed === null ? path.field('usesAllowed').remove() : path.field('usesAllowed').set(c.usesAllowed));
        if (c.usesAllowed === null) delete next.usesAllowed;
        else next.usesAllowed = c.usesAllowed;
      }
      if (c.expiryTime !== undefined) {
        ops.push(c.expiryTime === null ? path.field('expiryTime').remove() : path.field('expiryTime').set(c.expiryTime));
        if (c.expiryTime === null) delete next.expiryTime;
        else next.expiryTime = c.expiryTime;
      }
      return { ops, value: tokenObject(c.token, next) };
    }
    case 'registrationToken.delete':
      if (!stored) throw noSuchToken(c.token);
      return { ops: [path.remove()], value: {} };
  }
}
