// Runs one bench section: gives it a context whose phases attribute AWS requests (through the
// request accounting) and collects its figures, its phases' counts and its outcome.
import { OUTSIDE_PHASES, type RequestAccounting } from './accounting.ts';
import type { SectionResult } from './report.ts';
import { SkipSection, type BenchContext, type BenchSection } from './section.ts';

/** Never throws: a skipped or failed section is reported as such, with its reason. */
export async function runSection(
  section: BenchSection,
  accounting: RequestAccounting,
  url: string | undefined,
  context: Pick<BenchContext, 'wsUrl' | 'localAxon'> = {},
): Promise<SectionResult> {
  const result: SectionResult = { name: section.name, description: section.description, status: 'ok', durationMs: 0, figures: [], phases: [] };
  const phaseKey = (name: string) => `${section.name}/${name}`;
  const ctx: BenchContext = {
    url,
    ...context,
    requests: (name) => accounting.phaseCounts(phaseKey(name)),
    targets: (name) => accounting.targetCounts(phaseKey(name)),
    log: (line) => console.log(`  [${section.name}] ${line}`),
    phase: async (name, fn) => {
      const started = performance.now();
      try {
        return await accounting.during(phaseKey(name), fn);
      } finally {
        const durationMs = performance.now() - started;
        const operations = accounting.phaseCounts(phaseKey(name));
        const existing = result.phases.find((p) => p.name === name);
        if (existing) Object.assign(existing, { durationMs: existing.durationMs + durationMs, operations });
        else result.phases.push({ name, durationMs, operations });
      }
    },
    figure: (name, value, unit, phase, at) => {
      result.figures.push({ name, value, unit, ...(phase !== undefined && { phase }), ...(at !== undefined && { at }) });
    },
  };
  const started = performance.now();
  try {
    // Requests a section makes outside its phases (setup, teardown) are reported as their own phase.
    await accounting.during(phaseKey(OUTSIDE_PHASES), () => section.run(ctx));
  } catch (error) {
    if (error instanceof SkipSection) {
      result.status = 'skipped';
      result.reason = error.message;
    } else {
      result.status = 'failed';
      result.reason = error instanceof Error ? error.message : String(error);
      console.error(error);
    }
  }
  result.durationMs = performance.now() - started;
  const outside = accounting.phaseCounts(phaseKey(OUTSIDE_PHASES));
  if (outside.length > 0) result.phases.push({ name: OUTSIDE_PHASES, durationMs: 0, operations: outside });
  return result;
}
