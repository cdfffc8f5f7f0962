// `npm run admin`: manage accounts and registration tokens of a running Axon, local or deployed.
//
// Every command goes through Synapse's admin API (/_synapse/admin) with an admin's access token,
// so the CLI needs no AWS access and does exactly what any admin tool does. The one thing the API
// cannot do is make the first admin: `--direct` does that (create-user, make-admin) by submitting
// the same users-depot command the admin API would, straight to the deployment's own depot and
// table — with the AWS credentials of the operator (on AWS) or to the engines of `npm start`.
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const usage = `Usage: npm run admin -- <command> [options]

Commands
  create-user NAME [--admin] [--password P] [--displayname D]   create an account (prints a generated password if none is given)
  reset-password NAME [--password P] [--keep-devices]           set a new password (logs every device out unless --keep-devices)
  deactivate NAME [--erase]                                     deactivate (and with --erase, forget the profile)
  make-admin NAME [--revoke]                                    grant (or withdraw) server admin
  tokens create [--uses N] [--expires DATE|MS] [--token T] [--length L]
  tokens list [--valid | --invalid]
  tokens revoke TOKEN

NAME is a localpart (alice) or a user id (@alice:example.org).

Through the admin API (default):
  --url URL        Axon's base URL         (AXON_ADMIN_URL, default http://localhost:8008)
  --access-token T an admin's access token (AXON_ADMIN_TOKEN)

The first admin (create-user and make-admin only): --direct submits to the deployment's users depot.
  Locally: the engines npm start printed, AXON_DYNAMODB_ENDPOINT and AXON_KINESIS_ENDPOINT.
  On AWS:  AWS credentials and region, --stack NAME (the stack's name, default axon) and
           --table NAME (its TableName output); --server-name as deployed (AXON_SERVER_NAME).
`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string' },
    'access-token': { type: 'string' },
    token: { type: 'string' },
    direct: { type: 'boolean' },
    stack: { type: 'string' },
    table: { type: 'string' },
    'server-name': { type: 'string' },
    admin: { type: 'boolean' },
    password: { type: 'string' },
    displayname: { type: 'string' },
    'keep-devices': { type: 'boolean' },
    erase: { type: 'boolean' },
    revoke: { type: 'boolean' },
    uses: { type: 'string' },
    expires: { type: 'string' },
    length: { type: 'string' },
    valid: { type: 'boolean' },
    invalid: { type: 'boolean' },
    help: { type: 'boolean' },
  },
});

class UsageError extends Error {}

function need(value: string | undefined, what: string): string {
  if (value === undefined || value === '') throw new UsageError(`missing ${what}`);
  return value;
}

function integer(raw: string | undefined, what: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^[0-9]+$/.test(raw)) throw new UsageError(`${what} must be a non-negative integer`);
  return Number(raw);
}

/** `--expires`: epoch milliseconds or anything Date parses (2027-01-31, 2027-01-31T12:00Z). */
function expiryOf(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const ms = /^[0-9]+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (Number.isNaN(ms)) throw new UsageError(`cannot read --expires ${raw}`);
  return ms;
}

const generatedPassword = () => randomBytes(18).toString('base64url');

// --- Through the admin API ---

class AdminApi {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    const parsed: unknown = text ? JSON.parse(text) : {};
    if (!res.ok) {
      const e = parsed as { errcode?: string; error?: string };
      throw new Error(`${method} ${path}: ${res.status} ${e.errcode ?? ''} ${e.error ?? text}`.trim());
    }
    return parsed as T;
  }

  /** A localpart becomes a user id on the server the token belongs to. */
  async userId(name: string): Promise<string> {
    if (name.startsWith('@')) return name;
    const { user_id } = await this.call<{ user_id: string }>('GET', '/_matrix/client/v3/account/whoami');
    return `@${name}:${user_id.slice(user_id.indexOf(':') + 1)}`;
  }
}

async function viaApi(command: string, args: string[]): Promise<unknown> {
  const api = new AdminApi((values.url ?? process.env.AXON_ADMIN_URL ?? 'http://localhost:8008').replace(/\/$/, ''), need(values['access-token'] ?? process.env.AXON_ADMIN_TOKEN, '--access-token (or AXON_ADMIN_TOKEN): an admin access token; for the first admin use --direct'));
  const user = async () => encodeURIComponent(await api.userId(need(args[0], 'NAME')));
  const admin = '/_synapse/admin';
  switch (command) {
    case 'create-user': {
      const password = values.password ?? generatedPassword();
      const created = await api.call('PUT', `${admin}/v2/users/${await user()}`, {
        password,
        admin: values.admin === true,
        ...(values.displayname !== undefined ? { displayname: values.displayname } : {}),
      });
      return values.password === undefined ? { ...(created as object), password } : created;
    }
    case 'reset-password': {
      const password = values.password ?? generatedPassword();
      await api.call('POST', `${admin}/v1/reset_password/${await user()}`, { new_password: password, logout_devices: values['keep-devices'] !== true });
      return values.password === undefined ? { password } : {};
    }
    case 'deactivate':
      return api.call('POST', `${admin}/v1/deactivate/${await user()}`, { erase: values.erase === true });
    case 'make-admin':
      return api.call('PUT', `${admin}/v1/users/${await user()}/admin`, { admin: values.revoke !== true });
    case 'tokens': {
      const [sub, tokenArg] = args;
      if (sub === 'create') {
        const body: Record<string, unknown> = {};
        const uses = integer(values.uses, '--uses');
        const expires = expiryOf(values.expires);
        const length = integer(values.length, '--length');
        if (uses !== undefined) body.uses_allowed = uses;
        if (expires !== undefined) body.expiry_time = expires;
        if (values.token !== undefined) body.token = values.token;
        if (length !== undefined) body.length = length;
        return api.call('POST', `${admin}/v1/registration_tokens/new`, body);
      }
      if (sub === 'list') {
        const valid = values.valid ? '?valid=true' : values.invalid ? '?valid=false' : '';
        return api.call('GET', `${admin}/v1/registration_tokens${valid}`);
      }
      if (sub === 'revoke') return api.call('DELETE', `${admin}/v1/registration_tokens/${encodeURIComponent(need(tokenArg, 'TOKEN'))}`);
      throw new UsageError(`unknown tokens command ${sub ?? ''}`);
    }
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

// --- Direct: the first admin ---

async function direct(command: string, args: string[]): Promise<unknown> {
  // The deployment's resources, named as the stack and `npm start` name them.
  process.env.AXON_TABLE = values.table ?? process.env.AXON_TABLE ?? 'axon';
  process.env.AXON_STREAM_PREFIX = values.stack ?? process.env.AXON_STREAM_PREFIX ?? 'axon';
  process.env.AXON_SERVER_NAME = values['server-name'] ?? process.env.AXON_SERVER_NAME ?? 'localhost';
  const { axon } = await import('../lib/matrix/module.ts');
  const { depotPartitionsVariable } = await import('../lib/core/environment.ts');
  process.env.AXON_DEPOT_PARTITIONS = depotPartitionsVariable(axon.depots);
  const { formatUserId } = await import('../lib/matrix/ids.ts');
  const name = need(args[0], 'NAME');
  const userId = name.startsWith('@') ? name : formatUserId(name);
  switch (command) {
    case 'create-user': {
      const { register } = await import('../lib/matrix/accounts/sessions.ts');
      const password = values.password ?? generatedPassword();
      const localpart = userId.slice(1, userId.indexOf(':'));
      await register({ username: localpart, password, inhibitLogin: true, ip: '127.0.0.1', admin: values.admin === true });
      if (values.displayname !== undefined) {
        const { submitAccountCommand } = await import('../lib/matrix/accounts/account.ts');
        await submitAccountCommand('account.profile', userId, { displayname: values.displayname });
      }
      return { name: userId, admin: values.admin === true, ...(values.password === undefined ? { password } : {}) };
    }
    case 'make-admin': {
      const { submitAccountCommand } = await import('../lib/matrix/accounts/account.ts');
      await submitAccountCommand('account.setAdmin', userId, { admin: values.revoke !== true });
      return { name: userId, admin: values.revoke !== true };
    }
    default:
      throw new UsageError(`--direct makes the first admin (create-user, make-admin); use an admin token for ${command}`);
  }
}

async function main(): Promise<number> {
  const [command, ...args] = positionals;
  if (values.help || command === undefined) {
    process.stdout.write(usage);
    return values.help ? 0 : 2;
  }
  const result = values.direct ? await direct(command, args) : await viaApi(command, args);
  console.log(JSON.stringify(result, null, 2));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof UsageError) {
      console.error(`${e.message}\n\n${usage}`);
      process.exit(2);
    }
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
