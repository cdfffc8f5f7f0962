// Room reads are strongly consistent: an acknowledged write (send, join) must be visible to the
// read that follows it, and a pagination that saw `lastPosition` must find every entry below it.
export const readYourWrites = { consistent: true } as const;
