import type { ModuleFragment } from '../../core/module.ts';

export const userDataRoutes = {
  functions: {},
  routes: [],
} satisfies ModuleFragment;
