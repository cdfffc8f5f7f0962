// Appends made in this process (the local runtime's own handlers) wake the pollers of their stream
// at once, so idle pollers can poll slowly (little CPU for kinesis-mock) while a record appended by
// an HTTP handler still reaches its topology without waiting for the next poll. Records appended
// by other processes are found by the regular poll.
import type { Pluggable } from '@smithy/types';
import { addClientPlugin } from '../../core/aws-clients.ts';

type Listener = (streamName: string) => void;

const listeners = new Set<Listener>();
let installed = false;

const appendCommands = new Set(['PutRecordCommand', 'PutRecordsCommand']);

const plugin: Pluggable<object, object> = {
  applyToStack(stack) {
    stack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (appendCommands.has(context.commandName ?? '')) {
          const input = args.input as { StreamName?: string; StreamARN?: string };
          const stream = input.StreamName ?? input.StreamARN?.split('/').pop();
          if (stream) for (const listener of listeners) listener(stream);
        }
        return result;
      },
      { step: 'initialize', name: 'axonLocalMappingAppendSignal' },
    );
  },
};

/**
 * Call `listener` with the stream name after each successful append through the shared clients.
 * The plugin is installed once per process and stays (installing it recreates the shared clients,
 * which must not happen while other parts have requests in flight).
 */
export function onAppend(listener: Listener): () => void {
  if (!installed) {
    installed = true;
    addClientPlugin(plugin);
  }
  listeners.add(listener);
  return () => listeners.delete(listener);
}
