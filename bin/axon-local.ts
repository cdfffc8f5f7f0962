// `npm start`: Axon on this machine, against DynamoDB Local and kinesis-mock.
// Flags win over environment variables, which win over defaults.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { axonModule } from '../lib/matrix/module.ts';
import { startLocalRuntime } from '../lib/local/runtime.ts';
import { isRegistrationMode } from '../lib/matrix/accounts/registration-mode.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const usage = `Usage: npm start -- [options]

  --host <addr>         interface to listen on          (AXON_HOST, default 127.0.0.1)
  --port <n>            Client-Server API port           (AXON_PORT, default 8008)
  --ws-port <n>         WebSocket API port               (AXON_WS_PORT, default 8009)
  --data-dir <path>     where data persists              (AXON_DATA_DIR, default .axon/data)
  --in-memory           keep nothing between restarts    (AXON_IN_MEMORY=1)
  --server-name <name>  the Matrix server name           (AXON_SERVER_NAME, default localhost)
  --log-level <level>   DEBUG, INFO, WARN or ERROR       (AXON_LOG_LEVEL, default INFO)
  --registration <mode> open, token or closed            (AXON_REGISTRATION, default open)
  --aws-timing          topologies read as Lambda does: standard consumers poll
                        once a second, enhanced fan-out ones get records ~70 ms
                        after the write (AXON_AWS_TIMING=1; default: at once)
  --enhanced-fan-out <on|off>
                        latency-critical topologies on enhanced fan-out, as the
                        stack's -c enhancedFanOut (AXON_ENHANCED_FAN_OUT, default on)
  --help`;

const { values } = parseArgs({
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    'ws-port': { type: 'string' },
    'data-dir': { type: 'string' },
    'in-memory': { type: 'boolean' },
    'server-name': { type: 'string' },
    'log-level': { type: 'string' },
    registration: { type: 'string' },
    'aws-timing': { type: 'boolean' },
    'enhanced-fan-out': { type: 'string' },
    help: { type: 'boolean' },
  },
});

if (values.help) {
  console.log(usage);
  process.exit(0);
}

function port(flag: string | undefined, envVar: string, fallback: number): number {
  const raw = flag ?? process.env[envVar];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`invalid port ${raw}\n\n${usage}`);
    process.exit(2);
  }
  return n;
}

const logLevel = (values['log-level'] ?? process.env.AXON_LOG_LEVEL ?? 'INFO').toUpperCase();
process.env.AXON_LOG_LEVEL = logLevel;
const verbose = logLevel === 'DEBUG';
const inMemory = values['in-memory'] ?? ['1', 'true'].includes(process.env.AXON_IN_MEMORY ?? '');
const dataDir = resolve(values['data-dir'] ?? process.env.AXON_DATA_DIR ?? '.axon/data');

const registration = values.registration ?? process.env.AXON_REGISTRATION ?? 'open';
if (!isRegistrationMode(registration)) {
  console.error(`invalid registration mode ${registration}\n\n${usage}`);
  process.exit(2);
}
const awsTiming = values['aws-timing'] ?? ['1', 'true'].includes(process.env.AXON_AWS_TIMING ?? '');
const fanOut = values['enhanced-fan-out'] ?? process.env.AXON_ENHANCED_FAN_OUT ?? 'on';
if (!['on', 'off'].includes(fanOut)) {
  console.error(`--enhanced-fan-out is on or off, not ${fanOut}\n\n${usage}`);
  process.exit(2);
}

const started = Date.now();
console.log(`Starting Axon (${inMemory ? 'in memory' : `data in ${dataDir}`}${awsTiming ? ', AWS timing' : ''}, enhanced fan-out ${fanOut}) ...`);

const runtime = await startLocalRuntime({
  module: axonModule({ enhancedFanOut: fanOut === 'on' }),
  awsTiming,
  host: values.host ?? process.env.AXON_HOST,
  httpPort: port(values.port, 'AXON_PORT', 8008),
  wsPort: port(values['ws-port'], 'AXON_WS_PORT', 8009),
  dataDir,
  inMemory,
  serverName: values['server-name'] ?? process.env.AXON_SERVER_NAME,
  registration,
  verbose,
  log: (line) => {
    if (logLevel === 'DEBUG' || logLevel === 'INFO') console.log(line);
  },
}).catch((e: Error) => {
  console.error(`Axon failed to start: ${e.message}`);
  process.exit(1);
});

console.log(`Axon is ready in ${((Date.now() - started) / 1000).toFixed(1)} s
  Registration       ${registration}
  Client-Server API  ${runtime.httpUrl}   (try: curl ${runtime.httpUrl}/_matrix/client/versions)
  WebSocket API      ${runtime.wsUrl}
  @connections       ${runtime.managementEndpoint}${runtime.engines ? `
  Engines            AXON_DYNAMODB_ENDPOINT=${runtime.engines.dynamo.endpoint} AXON_KINESIS_ENDPOINT=${runtime.engines.kinesis.endpoint}
                     (for npm run dead-letters, and npm run admin -- ... --direct to make the first admin)` : ''}
Press Ctrl-C to stop.`);

// Stopping drains: no new requests, the ones in flight are answered (up to API Gateway's 30 s),
// topologies finish their batches, and only then do the engines stop. A signal while stopping
// changes nothing (tsx relays the terminal's SIGINT a second time).
let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping Axon (answering requests in flight) ...`);
  const force = setTimeout(() => process.exit(1), 45_000);
  force.unref();
  runtime.stop().then(
    () => process.exit(0),
    (e: Error) => {
      console.error(e.message);
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
