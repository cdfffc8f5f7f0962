// A sync service instance as a process of its own — the bundle its container image runs
// (bin/bundle-service.ts), under plain Node — against the bench's engines and WebSocket API, so
// that its memory and CPU are its own: read from /proc (Linux) while the bench drives it directly,
// as its load balancer would.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bundleService } from '../../bin/bundle-service.ts';

const root = resolve(import.meta.dirname, '..', '..');
/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

export interface ProcessSample {
  /** Resident memory, bytes. */
  rssBytes: number;
  /** CPU time used so far (user + system), ms. */
  cpuMs: number;
}

export class ServiceProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly output: string[],
  ) {}

  /** Starts `service` with the environment of this process (engines, table, streams) and waits until it is healthy. */
  static async start(service: string, webSocketUrl: string): Promise<ServiceProcess> {
    const { file: bundle } = await bundleService(service, mkdtempSync(join(tmpdir(), `axon-${service}-service-`)));
    const child = spawn(process.execPath, ['--enable-source-maps', bundle], {
      cwd: root,
      env: { ...process.env, AXON_SERVICE_PORT: '0', AXON_SERVICE_HOST: '127.0.0.1', AXON_WS_URL: webSocketUrl, POWERTOOLS_LOG_LEVEL: 'CRITICAL' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    const port = await new Promise<number>((resolvePort, reject) => {
      const timer = setTimeout(() => reject(new Error(`service ${service} did not start within 60 s:\n${output.join('')}`)), 60_000);
      const onData = (chunk: Buffer) => {
        output.push(chunk.toString());
        if (output.length > 200) output.shift();
        const m = /listening on (\d+)/.exec(chunk.toString());
        if (m) {
          clearTimeout(timer);
          resolvePort(Number(m[1]));
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      child.once('exit', (code) => reject(new Error(`service ${service} exited with ${code}:\n${output.join('')}`)));
    });
    const instance = new ServiceProcess(child, `http://127.0.0.1:${port}`, output);
    await instance.until(async (h) => h.healthy, 60_000, 'healthy (subscribed to notices)');
    return instance;
  }

  async health(): Promise<{ healthy: boolean; open: number }> {
    const res = await fetch(`${this.url}/health`);
    return (await res.json()) as { healthy: boolean; open: number };
  }

  /** Polls /health until `ok` holds. */
  async until(ok: (h: { healthy: boolean; open: number }) => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        if (await ok(await this.health())) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`service process not ${what} within ${timeoutMs} ms:\n${this.output.join('')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  sample(): ProcessSample {
    const pid = this.child.pid!;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { rssBytes: rssKb * 1024, cpuMs: (ticks / TICKS_PER_SECOND) * 1000 };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}
