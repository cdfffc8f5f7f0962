// The function serving room navigation, whose routes their own fragments declare: the event
// closest to a timestamp (timestamps.ts), room summaries and space hierarchies (spaces.ts). One
// read-only function for them, sparing the stack's 500-resource budget (~7 per function).
import type { ModuleFragment } from '../../core/module.ts';
import { accessTokens, memberRooms, membershipHistory, roomAliases, roomInfo, roomState, roomTimeline } from '../pstates.ts';

export const roomNavigationRoutes = {
  functions: {
    roomNavigation: {
      entry: 'functions/http/room-navigation.ts',
      description: 'Event by timestamp, room summaries, space hierarchies',
      access: { reads: [accessTokens, roomInfo, memberRooms, membershipHistory, roomState, roomTimeline, roomAliases] },
    },
  },
} satisfies ModuleFragment;
