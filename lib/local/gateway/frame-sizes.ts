// The sizes of the frames a WebSocket client sends, read from the raw socket beside the `ws`
// server (which limits whole messages only): API Gateway limits each frame to 32 KB, a message to
// 128 KB, and closes a connection that sends a larger frame with 1009
// (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html).
// Frame layout: RFC 6455 section 5.2.

/** API Gateway's limit for one incoming WebSocket frame. */
export const MAX_FRAME_BYTES = 32 * 1024;

/**
 * A consumer of the client's bytes, in order, calling `onFrame` with each frame's payload length as
 * soon as its header is complete (before its payload has arrived).
 */
export function frameSizes(onFrame: (payloadBytes: number) => void): (chunk: Buffer) => void {
  let header = Buffer.alloc(0);
  /** Payload bytes of the current frame still to skip. */
  let skip = 0;
  return (chunk) => {
    let data = chunk;
    while (data.length) {
      if (skip) {
        const n = Math.min(skip, data.length);
        skip -= n;
        data = data.subarray(n);
        continue;
      }
      header = Buffer.concat([header, data]);
      data = Buffer.alloc(0);
      if (header.length < 2) return;
      const masked = (header[1]! & 0x80) !== 0;
      const len7 = header[1]! & 0x7f;
      const extended = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
      const headerLength = 2 + extended + (masked ? 4 : 0);
      if (header.length < headerLength) return;
      const payload = len7 === 126 ? header.readUInt16BE(2) : len7 === 127 ? Number(header.readBigUInt64BE(2)) : len7;
      onFrame(payload);
      // What followed the header: this frame's payload, then the next frames.
      data = header.subarray(headerLength);
      header = Buffer.alloc(0);
      skip = payload;
    }
  };
}
