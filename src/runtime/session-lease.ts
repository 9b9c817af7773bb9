// A call's hold on an agent's session (grammar/README.md#sessions): it waits for the
// session's previous call to end, then journals its start — a new conversation gets its id
// here — so that whatever stops the run, the conversation is found again when it continues.
// The host says where the run's sessions are and how a session event is journaled: the
// local engine applies it to the run at once; the Restate host journals it with the step.

import type { RunRecord } from "./types.ts";
import { RuntimeError, type SessionEvent, type SessionLease } from "./types.ts";

export interface SessionHost {
  /** Each session's last call: the next one waits for it (one turn at a time). */
  turns: Map<string, Promise<void>>;
  /** The run's sessions as they are now. */
  sessions(): RunRecord["sessions"];
  /** Journals a session event (the host adds the time). */
  journal(event: Omit<SessionEvent, "at">): Promise<void>;
  /** The id of a new conversation. */
  newId(): string;
}

export async function openSession(
  host: SessionHost,
  name: string,
  agent: string,
  keepsMessages: boolean,
): Promise<SessionLease> {
  const previous = host.turns.get(name) ?? Promise.resolve();
  let release!: () => void;
  const turn = previous.then(() => new Promise<void>((resolve) => (release = resolve)));
  host.turns.set(name, turn);
  await previous;
  const journal = (event: Omit<SessionEvent, "type" | "session" | "agent" | "at">) =>
    host.journal({ type: "session", session: name, agent, ...event });
  try {
    const sessions = host.sessions();
    const known = sessions && Object.hasOwn(sessions, name) ? sessions[name] : undefined;
    if (known && known.agent !== agent)
      throw new RuntimeError(
        "session-agent",
        `session '${name}' is agent '${known.agent}''s conversation; a call to '${agent}' cannot continue it`,
      );
    const id = known?.id ?? host.newId();
    await journal({ call: "started", ...(!known && { id }) });
    let providerId = known?.providerId;
    let ended = false;
    return {
      session: {
        name,
        id,
        ...(providerId !== undefined && { providerId }),
        turns: known?.turns ?? 0,
        unsettled: known?.unsettled ?? false,
        messages: keepsMessages ? (known?.messages ?? []) : [],
        identify: (said) => {
          if (ended || said === providerId) return;
          providerId = said;
          journal({ call: "identified", providerId: said }).catch(() => undefined);
        },
      },
      end: async (outcome) => {
        if (ended) return;
        ended = true;
        try {
          await journal({
            call: "ended",
            answered: outcome.answered,
            ...(outcome.providerId !== undefined &&
              outcome.providerId !== providerId && { providerId: outcome.providerId }),
            ...(outcome.messages && { messages: outcome.messages }),
          });
        } finally {
          release();
          if (host.turns.get(name) === turn) host.turns.delete(name);
        }
      },
    };
  } catch (error) {
    release();
    if (host.turns.get(name) === turn) host.turns.delete(name);
    throw error;
  }
}
