// matrix-js-sdk clients with the Rust crypto (matrix-sdk-crypto-wasm), as Element runs them: a
// registered user on its own device, an in-memory crypto store (Node has no IndexedDB), syncing.
// Each client records the key and to-device traffic it exchanges with the server, so a test can
// check what the crypto asked for and what the server answered.
import { ClientEvent, createClient, MatrixEventEvent, SyncState, type MatrixClient, type MatrixEvent } from 'matrix-js-sdk';
import { TestClient } from './matrix-client.ts';
import { loginUser, registerUser, uniqueLocalpart, type RegisteredUser } from './accounts.ts';
import { waitFor } from './sdk.ts';

/** One finished request of the crypto traffic: /keys/*, /sendToDevice/* and /sync (its crypto parts only). */
export interface CryptoExchange {
  method: string;
  /** The path without the /_matrix/client/v3 prefix, e.g. `/keys/upload`, `/sendToDevice/m.room.encrypted/…`, `/sync`. */
  path: string;
  body: Record<string, unknown>;
  status: number;
  response: Record<string, unknown>;
  /** When the request left and when its answer came, on one counter shared by all clients of the file. */
  sentAt: number;
  answeredAt: number;
}

let clock = 0;

/** The exchange counter now: exchanges with a later `sentAt` were sent after this call, with a later `answeredAt` answered after it. */
export function exchangeClock(): number {
  return clock;
}

export interface CryptoClient {
  user: RegisteredUser;
  client: MatrixClient;
  /** Crypto traffic so far, in completion order. */
  exchanges: CryptoExchange[];
  /** Resolves with the first exchange (already recorded or later) that `matches`. */
  exchange(matches: (exchange: CryptoExchange) => boolean, what: string, timeoutMs?: number): Promise<CryptoExchange>;
}

const cryptoPath = /^\/_matrix\/client\/v3(\/(?:keys|sendToDevice)\/.*|\/sync)$/;
const syncCryptoFields = ['to_device', 'device_lists', 'device_one_time_keys_count', 'device_unused_fallback_key_types'];

function recorded(path: string, text: string): Record<string, unknown> {
  const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  return path === '/sync' ? Object.fromEntries(Object.entries(parsed).filter(([field]) => syncCryptoFields.includes(field))) : parsed;
}

/** Registers a user and starts a syncing client on its device with the Rust crypto initialised. */
export async function startCryptoClient(baseUrl: string, prefix: string): Promise<CryptoClient> {
  return startOnDevice(baseUrl, await registerUser(new TestClient(baseUrl), uniqueLocalpart(prefix)));
}

/** Logs an existing user in on a new device and starts a crypto client there. */
export async function startCryptoClientOnNewDevice(baseUrl: string, userId: string): Promise<CryptoClient> {
  return startOnDevice(baseUrl, await loginUser(new TestClient(baseUrl), userId));
}

async function startOnDevice(baseUrl: string, user: RegisteredUser): Promise<CryptoClient> {
  const exchanges: CryptoExchange[] = [];
  const listeners = new Set<(exchange: CryptoExchange) => void>();

  const recordingFetch: typeof fetch = async (input, init) => {
    const sentAt = ++clock;
    const response = await fetch(input, init);
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const path = cryptoPath.exec(url.pathname)?.[1];
    if (path === undefined) return response;
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : {};
    const text = await response.text();
    const exchange: CryptoExchange = { method: init?.method ?? 'GET', path, body, status: response.status, response: recorded(path, text), sentAt, answeredAt: ++clock };
    exchanges.push(exchange);
    for (const listener of listeners) listener(exchange);
    return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
  };

  const client = createClient({ baseUrl, accessToken: user.accessToken, userId: user.userId, deviceId: user.deviceId, fetchFn: recordingFetch });
  await client.initRustCrypto({ useIndexedDB: false });
  const prepared = waitFor<void>((done) => client.on(ClientEvent.Sync, (state) => state === SyncState.Prepared && done()), `${user.userId} PREPARED`);
  await client.startClient({ initialSyncLimit: 10 });
  await prepared;

  const exchange = (matches: (exchange: CryptoExchange) => boolean, what: string, timeoutMs = 45_000) =>
    waitFor<CryptoExchange>((done) => {
      const seen = exchanges.find(matches);
      if (seen) return done(seen);
      const listener = (next: CryptoExchange) => {
        if (!matches(next)) return;
        listeners.delete(listener);
        done(next);
      };
      listeners.add(listener);
    }, `${user.userId}: ${what}`, timeoutMs);

  return { user, client, exchanges, exchange };
}

/** The to-device events of a recorded /sync. */
export function toDeviceEventsIn(exchange: CryptoExchange): { type: string; sender: string; content: Record<string, unknown> }[] {
  return ((exchange.response.to_device as { events?: [] } | undefined)?.events ?? []);
}

/** How many one-time keys of an upload's body (`one_time_keys`, keyed `<algorithm>:<key id>`). */
export function oneTimeKeysIn(exchange: CryptoExchange): number {
  return Object.keys((exchange.body.one_time_keys as Record<string, unknown> | undefined) ?? {}).length;
}

/** Resolves with the event of `roomId` that `client` decrypts to the text `body`. */
export function decryptedMessage(client: MatrixClient, roomId: string, body: string): Promise<MatrixEvent> {
  return waitFor<MatrixEvent>(
    (done) =>
      client.on(MatrixEventEvent.Decrypted, (event, err) => {
        if (err || event.getRoomId() !== roomId || event.isDecryptionFailure()) return;
        if (event.getClearContent()?.body === body) done(event);
      }),
    `${client.getUserId()} decrypts "${body}"`,
    45_000,
  );
}
