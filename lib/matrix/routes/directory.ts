import type { ModuleFragment } from '../../core/module.ts';

export const directoryRoutes = {
  functions: {},
  routes: [],
} satisfies ModuleFragment;
