// Who may register (README, "Operating Axon"): `open` (anyone, the m.login.dummy stage), `token`
// (the m.login.registration_token stage, spec v1.2) or `closed` (nobody; accounts come from an
// admin). AXON_REGISTRATION carries it to every function: the stack sets it from the `registration`
// context (default closed), `npm start` from --registration (default open).
export const REGISTRATION_MODES = ['open', 'token', 'closed'] as const;
export type RegistrationMode = (typeof REGISTRATION_MODES)[number];

export function isRegistrationMode(value: string): value is RegistrationMode {
  return (REGISTRATION_MODES as readonly string[]).includes(value);
}

/** The configured mode; unset or unknown is `closed`, so a misconfiguration never opens the server. */
export function registrationMode(): RegistrationMode {
  const raw = process.env.AXON_REGISTRATION;
  return raw !== undefined && isRegistrationMode(raw) ? raw : 'closed';
}
