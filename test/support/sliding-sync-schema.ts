// The response of simplified sliding sync (MSC4186, ../shared/matrix-spec/proposals/
// 4186-simplified-sliding-sync.md "Response Body") as a zod schema: the MSC has no OpenAPI, so
// this is written from its tables, with the older names clients in the wild read beside the MSC's
// (`invite_state` next to `stripped_state`, `notification_count`/`highlight_count`, which the MSC's
// changelog drops and Synapse still sends). Objects are strict: a field the MSC does not name fails.
import { z } from 'zod';

const int = z.number().int();
const eventContent = z.record(z.string(), z.unknown());

/** A ClientEventWithoutRoomId, as /v3/sync's timelines and state carry them. */
const roomEvent = z
  .object({
    content: eventContent,
    event_id: z.string().startsWith('$'),
    origin_server_ts: int,
    sender: z.string().startsWith('@'),
    state_key: z.string().optional(),
    type: z.string(),
    redacts: z.string().optional(),
    unsigned: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

const stateEvent = roomEvent.extend({ state_key: z.string() });
const stateStub = z.object({ type: z.string(), state_key: z.string() }).strict();
const strippedState = z.object({ content: eventContent, sender: z.string(), state_key: z.string(), type: z.string() }).strict();
const hero = z.object({ user_id: z.string().startsWith('@'), displayname: z.string().optional(), avatar_url: z.string().optional() }).strict();

export const roomResultSchema = z
  .object({
    // Common fields
    bump_stamp: int.optional(),
    membership: z.string().optional(),
    lists: z.array(z.string()).optional(),
    // Currently or previously joined rooms
    name: z.string().nullable().optional(),
    avatar: z.string().nullable().optional(),
    heroes: z.array(hero).optional(),
    is_dm: z.boolean().optional(),
    initial: z.boolean().optional(),
    expanded_timeline: z.boolean().optional(),
    required_state: z.array(z.union([stateEvent, stateStub])).optional(),
    timeline: z.array(roomEvent).optional(),
    prev_batch: z.string().optional(),
    limited: z.boolean().optional(),
    num_live: int.min(0).optional(),
    joined_count: int.min(0).optional(),
    invited_count: int.min(0).optional(),
    notification_count: int.min(0).optional(),
    highlight_count: int.min(0).optional(),
    // Invite/knock/rejections
    stripped_state: z.array(strippedState).optional(),
    invite_state: z.array(strippedState).optional(),
  })
  .strict();

const ephemeralByRoom = (type: string) => z.object({ rooms: z.record(z.string(), z.object({ type: z.literal(type), content: eventContent }).strict()) }).strict();
const accountDataEvent = z.object({ type: z.string(), content: eventContent }).strict();

export const slidingSyncResponseSchema = z
  .object({
    pos: z.string().min(1),
    lists: z.record(z.string(), z.object({ count: int.min(0) }).strict()).optional(),
    rooms: z.record(z.string().startsWith('!'), roomResultSchema).optional(),
    extensions: z
      .object({
        to_device: z
          .object({ next_batch: z.string(), events: z.array(z.object({ sender: z.string(), type: z.string(), content: eventContent }).strict()) })
          .strict()
          .optional(),
        e2ee: z
          .object({
            device_lists: z.object({ changed: z.array(z.string()), left: z.array(z.string()) }).strict().optional(),
            device_one_time_keys_count: z.record(z.string(), int).optional(),
            device_unused_fallback_key_types: z.array(z.string()).optional(),
          })
          .strict()
          .optional(),
        account_data: z
          .object({ global: z.array(accountDataEvent), rooms: z.record(z.string(), z.array(accountDataEvent)) })
          .strict()
          .optional(),
        receipts: ephemeralByRoom('m.receipt').optional(),
        typing: ephemeralByRoom('m.typing').optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type SlidingSyncResponse = z.infer<typeof slidingSyncResponseSchema>;
export type RoomResult = z.infer<typeof roomResultSchema>;
