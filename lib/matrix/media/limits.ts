// How large an upload may be. AXON_MEDIA_MAX_BYTES, default 10 MiB: what the HTTP gateway lets
// through (API Gateway's payload quota; the local gateway's too), where Synapse's default is
// 50 MB — a larger default would be advertised but refused by the gateway. On AWS the body then
// passes the Lambda invocation payload (6 MB, base64-inflated for binary bodies, so about 4.5 MB
// of content): the stack sets a limit below that, so what `/config` advertises is what the server
// really accepts.
import { tooLarge } from '../errors.ts';

export const DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

export function maxUploadBytes(): number {
  const configured = Number(process.env.AXON_MEDIA_MAX_BYTES);
  return Number.isSafeInteger(configured) && configured > 0 ? configured : DEFAULT_MAX_UPLOAD_BYTES;
}

export function assertUploadSize(bytes: number): void {
  const limit = maxUploadBytes();
  if (bytes > limit) throw tooLarge(`Upload is larger than the ${limit} bytes allowed`);
}
