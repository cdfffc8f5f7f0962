import type { ModuleFragment } from '../../core/module.ts';

export const accountsRoutes = {
  functions: {},
  routes: [],
} satisfies ModuleFragment;
