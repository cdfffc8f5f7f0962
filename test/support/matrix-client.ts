// A minimal Client-Server API client for tests: every response it receives is checked against the
// Matrix OpenAPI definitions (test/support/openapi.ts), so each API test is a contract test too.
import { expect } from 'vitest';
import { validateResponse, validateStandardError } from './openapi.ts';

export interface MatrixResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  token?: string;
  /** A raw body (not JSON-encoded). */
  rawBody?: string;
  headers?: Record<string, string>;
  /** Skip the contract check (only for responses the spec does not describe, say why at the call). */
  unchecked?: boolean;
}

export class TestClient {
  /**
   * How many times to resend a request answered 503 "accepted but not applied yet" (with
   * `retry_after_ms`), after that wait, as a client honouring it does. 0 by default: most tests
   * must see every answer; a scenario testing something else on a loaded machine sets it.
   */
  notAppliedRetries = 0;

  constructor(
    readonly baseUrl: string,
    public token?: string,
  ) {}

  /** A client of the same server and retry policy with another token (none: anonymous). */
  withToken(token?: string): TestClient {
    const client = new TestClient(this.baseUrl, token);
    client.notAppliedRetries = this.notAppliedRetries;
    return client;
  }

  async request<T = Record<string, unknown>>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<MatrixResponse<T>> {
    for (let attempt = 0; ; attempt++) {
      const response = await this.requestOnce<T>(method, path, body, options);
      const error = response.body as { errcode?: unknown; retry_after_ms?: unknown } | undefined;
      if (response.status !== 503 || attempt >= this.notAppliedRetries || error?.errcode !== 'M_UNKNOWN' || typeof error.retry_after_ms !== 'number') return response;
      // Visible in the test output: a retry hides a slow topology from the assertion, not from the reader.
      process.stderr.write(`${method} ${path.split('?')[0]} answered 503 (not applied yet); retrying after ${error.retry_after_ms} ms\n`);
      await new Promise((resolve) => setTimeout(resolve, error.retry_after_ms as number));
    }
  }

  private async requestOnce<T>(method: string, path: string, body: unknown, options: RequestOptions): Promise<MatrixResponse<T>> {
    const token = options.token ?? this.token;
    const headers: Record<string, string> = { ...options.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined = options.rawBody;
    if (payload === undefined && body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body: payload });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    if (!options.unchecked) checkContract(method, path, response.status, parsed);
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  get<T = Record<string, unknown>>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, undefined, options);
  }
  post<T = Record<string, unknown>>(path: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('POST', path, body ?? {}, options);
  }
  put<T = Record<string, unknown>>(path: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('PUT', path, body ?? {}, options);
  }
  delete<T = Record<string, unknown>>(path: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('DELETE', path, body, options);
  }
}

/**
 * Documented responses must match their schema. An error status the operation does not list (the
 * spec allows standard errors such as 401, 403, 429 on any authenticated endpoint) must still be
 * a standard error body.
 */
export function checkContract(method: string, path: string, status: number, body: unknown): void {
  const result = validateResponse(method, path.split('?')[0]!, status, body);
  if (result.ok) return;
  if (status >= 400) {
    const standard = validateStandardError(status, body);
    if (standard.ok) return;
  }
  expect.fail(`${method} ${path} → ${status} does not match the spec:\n${result.errors.join('\n')}\nbody: ${JSON.stringify(body)}`);
}

/** Shorthand for tests: assert a Matrix error. */
export function expectError(response: MatrixResponse, status: number, errcode: string): void {
  expect({ status: response.status, errcode: (response.body as { errcode?: string }).errcode }).toEqual({ status, errcode });
}
