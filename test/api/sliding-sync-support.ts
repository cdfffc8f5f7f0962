// Shared by the sliding sync tests: the request, with every 200 checked against the MSC4186
// response schema (test/support/sliding-sync-schema.ts).
import { expect } from 'vitest';
import type { MatrixResponse, TestClient } from '../support/matrix-client.ts';
import { slidingSyncResponseSchema, type SlidingSyncResponse } from '../support/sliding-sync-schema.ts';

export const SLIDING_SYNC = '/_matrix/client/unstable/org.matrix.simplified_msc3575/sync';

/** POST sliding sync; `query`: pos and timeout as clients in the wild send them. */
export async function slidingSyncRaw(client: TestClient, body: unknown, query: Record<string, string | number> = {}): Promise<MatrixResponse<SlidingSyncResponse>> {
  const q = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
  // The OpenAPI has no sliding sync (an MSC): a 200 is checked against the MSC's schema below,
  // an error is checked as a standard error body by the contract check.
  const unchecked = true;
  const res = await client.post<SlidingSyncResponse>(`${SLIDING_SYNC}${q ? `?${q}` : ''}`, body, { unchecked });
  if (res.status === 200) {
    const parsed = slidingSyncResponseSchema.safeParse(res.body);
    if (!parsed.success) expect.fail(`sliding sync response does not match MSC4186: ${parsed.error.message}\nbody: ${JSON.stringify(res.body)}`);
  } else {
    expect(typeof (res.body as unknown as { errcode?: unknown }).errcode, JSON.stringify(res.body)).toBe('string');
  }
  return res;
}

export async function slidingSync(client: TestClient, body: unknown, query: Record<string, string | number> = {}): Promise<SlidingSyncResponse> {
  const res = await slidingSyncRaw(client, body, query);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** The m.room.message bodies of a room result's timeline. */
export const messageBodies = (room: { timeline?: { type: string; content: Record<string, unknown> }[] } | undefined) =>
  (room?.timeline ?? []).filter((e) => e.type === 'm.room.message').map((e) => e.content.body);
