// One logger for everything that runs in a function or the service host: Powertools' structured
// JSON lines (CloudWatch Logs Insights reads their fields), at POWERTOOLS_LOG_LEVEL. Named by the
// part of Axon that logs.
import { Logger } from '@aws-lambda-powertools/logger';

export type { Logger };

export function logger(serviceName: string): Logger {
  return new Logger({ serviceName });
}

/** An error's message for a log line (anything can be thrown). */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
