// Preloaded into kinesis-mock (`node --import`): kinesis-mock listens on 0.0.0.0 with no option to
// change it (its host is a constant), so every server it opens in this process is bound to the
// address in AXON_ENGINE_HOST (default 127.0.0.1) instead. Unix sockets and handles pass through.
/* global process */
import net from 'node:net';

const host = process.env.AXON_ENGINE_HOST || '127.0.0.1';
const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function listenOnEngineHost(...args) {
  const [first] = args;
  if (first === undefined || typeof first === 'function') return listen.call(this, 0, host, ...args);
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    const rest = typeof args[1] === 'string' ? args.slice(2) : args.slice(1);
    return listen.call(this, Number(first), host, ...rest);
  }
  if (typeof first === 'object' && first !== null && ('port' in first || 'host' in first) && !('path' in first)) {
    return listen.call(this, { ...first, host }, ...args.slice(1));
  }
  return listen.apply(this, args);
};

// Axon runs kinesis-mock in a process group of its own (a Ctrl-C meant for Axon must leave it
// running while Axon drains), so it ends when its stdin, a pipe from Axon, closes: when Axon
// exits, whichever way.
if (process.env.AXON_ENGINE_EXIT_WITH_STDIN === '1') {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
