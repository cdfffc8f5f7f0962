// Calling Synapse's admin API in tests: its paths are not the Client-Server spec's, so errors are
// checked as standard Matrix errors, and answers against strict zod schemas of Synapse's documented
// shapes (element-hq/synapse docs/admin_api/*.md): a field missing, added or of another type fails.
import { expect } from 'vitest';
import type { z } from 'zod';
import type { MatrixResponse, TestClient } from './matrix-client.ts';
import { validateStandardError } from './openapi.ts';

export const SYNAPSE_ADMIN = '/_synapse/admin';

/** A request to the admin API (`path` below /_synapse/admin). */
export async function call<T>(client: TestClient, method: string, path: string, body?: unknown): Promise<MatrixResponse<T>> {
  const res = await client.request<T>(method, `${SYNAPSE_ADMIN}${path}`, body, { unchecked: true });
  if (res.status >= 400) expect(validateStandardError(res.status, res.body).ok, JSON.stringify(res.body)).toBe(true);
  return res;
}

/** The body of `res`, which must have `status` and match `schema`. */
export function shaped<S extends z.ZodType>(schema: S, res: MatrixResponse<unknown>, status = 200): z.infer<S> {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  const parsed = schema.safeParse(res.body);
  expect(parsed.success, `${JSON.stringify(res.body)}\n${parsed.error?.message}`).toBe(true);
  return parsed.data as z.infer<S>;
}
