// Every bench section, in the order `npm run bench` runs them by default.
import type { BenchSection } from '../section.ts';
import { core } from './core.ts';
import { costSection } from './cost.ts';
import { deliverSection } from './deliver.ts';
import { enginesSection } from './engines.ts';
import { fanoutSection } from './fanout.ts';
import { longPollCapacitySection } from './longpoll-capacity.ts';
import { faultsSection } from './faults.ts';
import { grantsSection } from './grants.ts';
import { sendSection } from './send.ts';
import { throughputSection } from './throughput.ts';
import { typingSection } from './typing.ts';

// Register a new section by importing it here and adding it to the list.
export const sections: BenchSection[] = [enginesSection, core, sendSection, deliverSection, throughputSection, fanoutSection, longPollCapacitySection, typingSection, costSection, grantsSection, faultsSection];
