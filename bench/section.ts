// The contract between the bench runner and a benchmark section.
import type { OperationCount } from './accounting.ts';
//
// Phases are sequential: `phase` attributes every AWS request made during `fn` to that phase (through
// the request-accounting middleware on the shared clients) and must not be nested or run concurrently.

/** Where a figure sits on a chart's x axis (e.g. `{ x: 100, label: 'room members' }`). */
export interface ChartPoint {
  x: number;
  label: string;
}

export interface BenchContext {
  log(line: string): void;
  phase<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Records a measured figure. `at` places it on a chart: figures of one section and name with an
   * `at` form a line against `at.label`.
   */
  figure(name: string, value: number, unit: string, phase?: string, at?: ChartPoint): void;
  /** Base URL of a running Axon HTTP server, when there is one. */
  url?: string;
  /** URL of its WebSocket API, when known (the runner's own local Axon). */
  wsUrl?: string;
  /** True when the runner started Axon itself in this process (engines and handlers are local). */
  localAxon?: boolean;
  /**
   * AWS requests counted so far in a phase of this section (e.g. to report requests or capacity
   * units per message with `usageFromAccounting` from cost-model.ts). Optional for other runners.
   */
  requests?(phase: string): OperationCount[];
  /** DynamoDB requests of a phase by operation and PState names touched, most first (to see where they go). */
  targets?(phase: string): { target: string; requests: number }[];
}

export interface BenchSection {
  name: string;
  description: string;
  /** Runs only when named (`npm run bench -- <name>`), e.g. because it takes minutes. */
  onlyWhenNamed?: boolean;
  /** Starts its own Axon (e.g. to kill its processes): run after the runner's shared one is stopped. */
  ownsRuntime?: boolean;
  run(ctx: BenchContext): Promise<void>;
}

/** Thrown by a section that cannot run here (e.g. it needs a running Axon server); reported, not failed. */
export class SkipSection extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'SkipSection';
  }
}
