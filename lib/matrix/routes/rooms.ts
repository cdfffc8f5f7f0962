import type { ModuleFragment } from '../../core/module.ts';

export const roomsRoutes = {
  functions: {},
  routes: [],
} satisfies ModuleFragment;
