// Notices: how functions tell a long-lived service's instances of news at once (ServiceDecl in
// lib/core/module.ts). Each instance holds one connection to the module's WebSocket API and is
// registered under its service; a function broadcasts a notice by posting it through
// `@connections` to every registered instance (a service has few), whichever instance holds the
// request the news is for — an HTTP API spreads requests over instances at random.
//
// Registration is a capability handshake that needs no secret: the instance writes a random nonce
// under its service (only its role may write these items), then connects with
// `?service_subscription=<service>.<nonce>`; `$connect` claims the nonce for the connection (once)
// and refuses the handshake for a nonce nobody registered. A connection is open only after
// `$connect` returned, so an instance whose socket is open is registered: every notice posted after
// a function's read of the registry that follows reaches it.
//
// A notice may be lost only with the connection: a post the gateway answers 410 (gone) forgets the
// instance, any other failure closes the connection, and an instance whose connection closes
// treats every notice as possibly missed until it has re-checked (ServiceSubscription `onGap`).
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../aws-clients.ts';
import { notifiedServices, tableName } from '../environment.ts';
import { partitionItems, TTL_ATTRIBUTE } from '../table.ts';
import { internalPrefixes } from '../table-writes.ts';
import { closeConnection, postToConnection } from '../websocket-connections.ts';
import { logger } from '../log.ts';

const log = logger('axon-service');

/** The `$connect` query parameter an instance subscribes with. */
export const SUBSCRIPTION_PARAMETER = 'service_subscription';

/** API Gateway closes a WebSocket connection after 2 hours; a registration outlives it a little. */
export const REGISTRATION_TTL_MS = 2 * 60 * 60_000 + 10 * 60_000;

/** A notice as it arrives on an instance's connection. */
export interface NoticeFrame {
  type: 'notice';
  data: unknown;
}

const pk = (service: string) => `${internalPrefixes.serviceInstance}#${service}`;

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The subscription parameter's value for an instance: `<service>.<nonce>`. */
export function subscriptionValue(service: string, nonce: string): string {
  return `${service}.${nonce}`;
}

/** An instance registers its nonce before it connects with it. */
export async function registerInstance(service: string, nonce: string, now = Date.now()): Promise<void> {
  await documentClient().send(
    new PutCommand({
      TableName: tableName(),
      Item: { pk: pk(service), sk: nonce, registeredAt: now, [TTL_ATTRIBUTE]: Math.ceil((now + REGISTRATION_TTL_MS) / 1000) },
    }),
  );
}

/** An instance going away (or moving to a new connection) forgets its registration. */
export async function dropInstance(service: string, nonce: string): Promise<void> {
  await documentClient().send(new DeleteCommand({ TableName: tableName(), Key: { pk: pk(service), sk: nonce } }));
}

/**
 * `$connect` with `?service_subscription=`: claim the registered nonce for this connection. False
 * (refuse the handshake) when nobody registered it, it expired, or another connection claimed it.
 */
export async function claimSubscription(value: string, connectionId: string, now = Date.now()): Promise<boolean> {
  const dot = value.indexOf('.');
  const service = value.slice(0, dot);
  const nonce = value.slice(dot + 1);
  if (dot <= 0 || !/^[A-Za-z0-9_-]{16,128}$/.test(nonce) || !/^[A-Za-z0-9_-]{1,64}$/.test(service)) return false;
  try {
    await documentClient().send(
      new UpdateCommand({
        TableName: tableName(),
        Key: { pk: pk(service), sk: nonce },
        UpdateExpression: 'SET connectionId = :c',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(connectionId) AND #ttl > :now',
        ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':c': connectionId, ':now': Math.floor(now / 1000) },
      }),
    );
    return true;
  } catch (err) {
    if ((err as { name?: string }).name === 'ConditionalCheckFailedException') return false;
    throw err;
  }
}

interface Instance {
  nonce: string;
  connectionId: string;
}

/** The service's subscribed instances (one strongly consistent Query: they are few). */
export async function subscribedInstances(service: string, now = Date.now()): Promise<Instance[]> {
  const out: Instance[] = [];
  for (const item of await partitionItems(pk(service))) {
    const expires = Number(item[TTL_ATTRIBUTE] ?? 0) * 1000;
    if (typeof item.connectionId === 'string' && expires > now) out.push({ nonce: String(item.sk), connectionId: item.connectionId });
  }
  return out;
}

async function forget(service: string, instance: Instance): Promise<void> {
  try {
    await documentClient().send(
      new DeleteCommand({
        TableName: tableName(),
        Key: { pk: pk(service), sk: instance.nonce },
        ConditionExpression: 'connectionId = :c',
        ExpressionAttributeValues: { ':c': instance.connectionId },
      }),
    );
  } catch (err) {
    if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
  }
}

async function post(service: string, instance: Instance, frame: string): Promise<void> {
  try {
    if ((await postToConnection(instance.connectionId, frame)) === 'gone') await forget(service, instance);
  } catch (err) {
    // The instance may have missed this notice: close its connection, so it re-checks what it holds.
    log.warn(`notice to ${service} instance ${instance.connectionId} failed: ${describe(err)}`);
    try {
      await closeConnection(instance.connectionId);
      await forget(service, instance);
    } catch (closeErr) {
      log.warn(`closing ${service} instance ${instance.connectionId} failed: ${describe(closeErr)}`);
    }
  }
}

/** Whether this function notifies `service` here (the deployment runs it: AXON_NOTIFY_SERVICES). */
export function notifies(service: string): boolean {
  return notifiedServices().has(service);
}

/**
 * Post `data` to every subscribed instance of `service`, after the news it announces is committed.
 * Nothing is read when the deployment does not run the service. Never throws: a lost notice only
 * delays an answer (instances re-check what they hold when their connection was lost).
 */
export async function notifyInstances(service: string, data: unknown): Promise<void> {
  if (!notifies(service)) return;
  try {
    const instances = await subscribedInstances(service);
    if (!instances.length) return;
    const frame = JSON.stringify({ type: 'notice', data } satisfies NoticeFrame);
    await Promise.all(instances.map((instance) => post(service, instance, frame)));
  } catch (err) {
    log.warn(`notice to ${service} failed: ${describe(err)}`);
  }
}
