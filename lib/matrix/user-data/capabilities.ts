// The capabilities Axon advertises (GET /capabilities). Password changes and profile edits are
// served (POST /account/password, PUT /profile/...); third-party ids are not.
import { roomVersionsCapability } from '../room-versions.ts';

export function capabilities() {
  return {
    'm.change_password': { enabled: true },
    'm.room_versions': roomVersionsCapability(),
    'm.set_displayname': { enabled: true },
    'm.set_avatar_url': { enabled: true },
    'm.3pid_changes': { enabled: false },
    'm.get_login_token': { enabled: false },
  };
}
