// Agents' sessions in a run record (grammar/README.md#sessions): how a `session` event
// changes a conversation's record. Pure, as the rest of the core.
import type { RunRecord, SessionEvent, SessionRecord } from "./types.ts";

/** The run's sessions after one event (a new map: the record stepped from is not changed). */
export function applySessionEvent(
  sessions: RunRecord["sessions"],
  event: SessionEvent,
): Record<string, SessionRecord> {
  const known =
    sessions && Object.hasOwn(sessions, event.session) ? sessions[event.session] : undefined;
  const next: SessionRecord = known
    ? { ...known }
    : { agent: event.agent, id: event.id ?? "", turns: 0, unsettled: false };
  if (event.providerId !== undefined) next.providerId = event.providerId;
  switch (event.call) {
    case "started":
      next.unsettled = true;
      break;
    case "identified":
      break;
    case "ended":
      if (event.answered) {
        next.turns += 1;
        next.unsettled = false;
        if (event.messages && event.messages.length > 0)
          next.messages = [...(next.messages ?? []), ...event.messages];
      }
      break;
  }
  return { ...sessions, [event.session]: next };
}
