import type { ModuleFragment } from '../../core/module.ts';

export const roomReadsRoutes = {
  functions: {},
  routes: [],
} satisfies ModuleFragment;
