import type { ModuleFragment } from '../../core/module.ts';

export const syncRoutes = {
  functions: {},
  routes: [],
} satisfies ModuleFragment;
