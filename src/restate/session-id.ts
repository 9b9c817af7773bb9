// The id of a conversation a step starts: derived from the attempt's idempotency key and
// the session's name, so that the step run again after a crash (the same key) names the
// same conversation — the local engine journals a new id before the call instead, which a
// step cannot (it journals only once it has ended).
import { createHash } from "node:crypto";

/** A version-4-shaped UUID (what agents' CLIs accept as a session id), from key and name. */
export function sessionIdFor(key: string, session: string): string {
  const hex = createHash("sha256").update(`${key}\0${session}`).digest("hex");
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
