// Ctrl-C on `npm start`: the terminal sends SIGINT to the whole foreground process group. Axon
// stops accepting, answers the requests in flight, and only then stops the engines, so a request
// that was running gets its answer, not a reset connection or a 500 from a vanished table.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../lib/local/lambda.ts';
import { registerUser } from '../support/accounts.ts';
import { TestClient } from '../support/matrix-client.ts';

/**
 * `npm start` in a process group of its own (as a terminal runs it), and its HTTP URL once ready.
 * Without tsx's compile cache, as on a fresh clone: every module is compiled when first imported.
 */
async function startAxon(): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null>; output: () => string }> {
  const child = spawn(join(projectRoot, 'node_modules', '.bin', 'tsx'), ['--no-cache', 'bin/axon-local.ts', '--in-memory', '--port', '0', '--ws-port', '0'], {
    cwd: projectRoot,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Client-Server API\s+(http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`axon exited (${code}) before it was ready:\n${output}`)));
  });
  return { child, url, exited, output: () => output };
}

describe('stopping npm start', () => {
  let axon: Awaited<ReturnType<typeof startAxon>> | undefined;
  afterAll(() => {
    if (axon?.child.pid && axon.child.exitCode === null) process.kill(-axon.child.pid, 'SIGKILL');
  });

  it('Ctrl-C answers the requests in flight before the engines stop', async () => {
    axon = await startAxon();
    const alice = await registerUser(new TestClient(axon.url));
    const initial = await alice.client.get<{ next_batch: string }>('/_matrix/client/v3/sync');
    expect(initial.status).toBe(200);
    // A long poll in flight: it ends on its timeout with an empty sync, reading the table as it does.
    const polling = alice.client.get<{ next_batch: string }>(`/_matrix/client/v3/sync?since=${encodeURIComponent(initial.body.next_batch)}&timeout=3000`);
    await new Promise((r) => setTimeout(r, 500));
    process.kill(-axon.child.pid!, 'SIGINT');
    const answer = await polling.catch((e: unknown) => {
      throw new Error(`${String(e)}\n${axon!.output()}`);
    });
    expect(answer.status).toBe(200);
    expect(typeof answer.body.next_batch).toBe('string');
    expect(await axon.exited, axon.output()).toBe(0);
    // Nothing that runs while stopping fails (a handler imported after Ctrl-C cannot be compiled: the
    // SIGINT stopped tsx's esbuild service too; engines stopped before the work that needs them).
    const stopping = axon.output().slice(axon.output().indexOf('SIGINT'));
    expect(stopping.split('\n').filter((line) => /failed|ECONNREFUSED|Error/.test(line))).toEqual([]);
  }, 120_000);
});
