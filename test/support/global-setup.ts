// Starts the local engines once for the whole test run and hands their endpoints to every test
// file through `inject`. They are stopped at the end, and killed if the runner dies.
import type { TestProject } from 'vitest/node';

// The SDK warns on Node 20 about a support change in 2027; it is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
import { startEngines, type Engines } from '../../lib/local/engines.ts';

let engines: Engines | undefined;

export async function setup(project: TestProject): Promise<void> {
  engines = await startEngines({});
  project.provide('dynamoEndpoint', engines.dynamo.endpoint);
  project.provide('kinesisEndpoint', engines.kinesis.endpoint);
  project.provide('enginePids', { dynamo: engines.dynamo.process.pid!, kinesis: engines.kinesis.process.pid! });
}

export async function teardown(): Promise<void> {
  await engines?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    kinesisEndpoint: string;
    /** The engines' process ids (what they listen on is checked in test/engines.test.ts). */
    enginePids: { dynamo: number; kinesis: number };
  }
}
