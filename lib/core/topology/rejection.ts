// A record's refusal: a domain outcome recorded for the appender's ack, not a failure.
import type { AckError } from '../ack.ts';

/**
 * Thrown by a handler to reject a record: a domain outcome (forbidden, unknown room, ...), recorded
 * for the appender's ack. The record counts as processed; it is not a failure and is not retried.
 */
export class Rejection extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'Rejection';
  }

  toAckError(): AckError {
    return {
      code: this.code,
      message: this.message,
      ...(this.status !== undefined ? { status: this.status } : {}),
      ...(this.data !== undefined ? { data: this.data } : {}),
    };
  }
}
