// Verifies AWS Signature Version 4 on a request to a local endpoint, as IAM does on AWS: the local
// `@connections` API accepts only requests signed with the runtime's own per-run key (the one it
// hands the functions' ApiGatewayManagementApiClient), so nothing else on the machine can push
// frames to or close someone's connection. The signature is recomputed with the SDK's own signer
// (@smithy/signature-v4) over exactly the headers the request says it signed.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** How far a request's x-amz-date may be from now (AWS allows 15 minutes). */
const MAX_CLOCK_SKEW_MS = 15 * 60_000;

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

const bytes = (data: SourceData): Buffer | string =>
  typeof data === 'string' ? data : ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);

/** node:crypto as the signer's hash constructor (HMAC when given a key). */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

/** `20250102T030405Z` → its Date, or undefined. */
function amzDate(value: string | undefined): Date | undefined {
  const m = value && /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : undefined;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * Why the request is not signed with `credentials` for `service` (AWS's messages), or undefined
 * when it is.
 */
export async function signatureProblem(
  request: { method: string; url: string; headers: IncomingHttpHeaders },
  body: Buffer,
  credentials: SigningCredentials,
  service: string,
  now = Date.now(),
): Promise<string | undefined> {
  const authorization = header(request.headers, 'authorization');
  if (!authorization) return 'Missing Authentication Token';
  const m = AUTHORIZATION.exec(authorization.trim());
  if (!m) return 'Authorization header requires a valid AWS4-HMAC-SHA256 signature';
  const [, accessKeyId, day, region, signedService, signedList, signature] = m as unknown as string[];
  if (accessKeyId !== credentials.accessKeyId) return 'The security token included in the request is invalid.';
  const date = amzDate(header(request.headers, 'x-amz-date'));
  if (!date || signedService !== service || !date.toISOString().replace(/-/g, '').startsWith(day!)) {
    return 'The credential scope or date of the request is not valid.';
  }
  if (Math.abs(now - date.getTime()) > MAX_CLOCK_SKEW_MS) return 'Signature expired';
  const signedHeaders = signedList!.split(';');
  if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date')) return 'The request must sign host and x-amz-date.';
  // A signed payload hash must be the body's (the signer takes the header's word for it).
  const payloadHash = header(request.headers, 'x-amz-content-sha256');
  if (payloadHash !== undefined && payloadHash !== createHash('sha256').update(body).digest('hex')) {
    return 'The provided x-amz-content-sha256 header does not match what was computed.';
  }
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) headers[name] = header(request.headers, name) ?? '';
  const q = request.url.indexOf('?');
  const path = q < 0 ? request.url : request.url.slice(0, q);
  const url = new URL(request.url, 'http://local');
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    query[key] = values.length === 1 ? values[0]! : values;
  }
  const signer = new SignatureV4({ credentials, region: region!, service, sha256: NodeSha256, applyChecksum: false });
  const signed = await signer.sign(
    { method: request.method, protocol: 'http:', hostname: headers.host!, path, query, headers, body: body.length ? body : undefined },
    { signingDate: date, signableHeaders: new Set(signedHeaders) },
  );
  const expected = /Signature=([0-9a-f]{64})$/.exec(signed.headers.authorization ?? '')?.[1] ?? '';
  const matches = expected.length === signature!.length && timingSafeEqual(Buffer.from(expected), Buffer.from(signature!));
  return matches ? undefined : 'The request signature we calculated does not match the signature you provided.';
}
