// Every bench section, in the order `npm run bench` runs them by default.
import type { BenchSection } from '../section.ts';
import { enginesSection } from './engines.ts';
import { core } from './core.ts';

// Register a new section by importing it here and adding it to the list (e.g. `core` from
// ./core.ts, `send`, `deliver`, `throughput`, `fanout`, `typing` as they land).
export const sections: BenchSection[] = [enginesSection, core];
