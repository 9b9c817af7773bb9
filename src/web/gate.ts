// The panel of a human gate a run waits at: what is to be approved (its prompt, rendered as
// Markdown — inert: see markdown.ts), who may answer, and the answer: approve, reject with
// feedback, or a response. The answer goes through the API (POST /v1/runs/:id/signal) with
// the page's token; a refusal shows the server's own words.
import { ApiError, api, type GateView } from "./api.ts";
import { announce, h, time } from "./dom.ts";
import { markdown } from "./markdown.ts";

function whoText(who: GateView["who"]): string {
  if (who === null) return "anyone who may use this server's API";
  const parts: string[] = [];
  if (who.users?.length) parts.push(`users ${who.users.join(", ")}`);
  if (who.roles?.length) parts.push(`anyone with the role ${who.roles.join(" or ")}`);
  return parts.length > 0
    ? parts.join("; or ")
    : "no one (the server's configuration names no one for this workflow's gates)";
}

export function gatePanel(
  runId: string,
  gate: GateView,
  hooks: { answered(): void; unauthorized(error: ApiError): void },
): HTMLElement {
  const titleId = "gate-title";
  const error = h("p", { class: "form-error", role: "alert", "data-testid": "gate-error" });
  const done = h("p", { class: "form-ok", role: "status", "data-testid": "gate-done" });
  const feedback = h("textarea", {
    id: "gate-feedback",
    name: "feedback",
    rows: 3,
    "data-testid": "gate-feedback",
    "aria-describedby": "gate-feedback-hint",
  });
  const response =
    gate.asks === "response"
      ? h("textarea", {
          id: "gate-response",
          name: "response",
          rows: 3,
          required: true,
          "aria-required": "true",
          "data-testid": "gate-response",
        })
      : undefined;
  const disabled = !gate.mayAnswer;
  const buttons =
    gate.asks === "approval"
      ? [
          h(
            "button",
            {
              type: "submit",
              value: "approve",
              class: "primary",
              disabled,
              "data-testid": "approve",
            },
            "Approve",
          ),
          h(
            "button",
            { type: "submit", value: "reject", class: "danger", disabled, "data-testid": "reject" },
            "Reject",
          ),
        ]
      : [
          h(
            "button",
            {
              type: "submit",
              value: "respond",
              class: "primary",
              disabled,
              "data-testid": "respond",
            },
            "Send response",
          ),
        ];
  const form = h(
    "form",
    { class: "gate-form", "aria-labelledby": titleId, novalidate: true },
    response
      ? h(
          "div",
          { class: "field" },
          h(
            "label",
            { for: "gate-response" },
            "Response ",
            h("span", { class: "req" }, "(required)"),
          ),
          response,
        )
      : null,
    h(
      "div",
      { class: "field" },
      h("label", { for: "gate-feedback" }, "Feedback ", h("span", { class: "hint" }, "(optional)")),
      feedback,
      h(
        "p",
        { id: "gate-feedback-hint", class: "hint" },
        gate.asks === "approval"
          ? "Recorded with your answer; the workflow may pass it on (a rejection usually does)."
          : "Sent with your response.",
      ),
    ),
    h("div", { class: "actions" }, ...buttons),
    error,
    done,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const submitter = (event as SubmitEvent).submitter as HTMLButtonElement | null;
    const action = submitter?.value ?? (gate.asks === "approval" ? "approve" : "respond");
    error.textContent = "";
    if (response && action === "respond" && !response.value.trim()) {
      error.textContent = "Write a response first.";
      response.setAttribute("aria-invalid", "true");
      response.focus();
      return;
    }
    const fb = feedback.value.trim();
    const body =
      action === "respond"
        ? { response: response!.value, state: gate.state, ...(fb && { feedback: fb }) }
        : { approve: action === "approve", state: gate.state, ...(fb && { feedback: fb }) };
    for (const b of buttons) b.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      const answer = await api.signal(runId, body);
      const said =
        action === "approve" ? "Approved" : action === "reject" ? "Rejected" : "Response sent";
      done.textContent = `${said}.${answer.notice ? ` ${answer.notice}` : " The run goes on."}`;
      announce(done.textContent);
      hooks.answered();
    } catch (e) {
      for (const b of buttons) b.disabled = false;
      if (e instanceof ApiError && e.unauthorized) return hooks.unauthorized(e);
      error.textContent =
        e instanceof ApiError
          ? `${e.title}${e.detail ? `: ${e.detail}` : ""}`
          : `The answer was not sent: ${String(e)}`;
    } finally {
      form.removeAttribute("aria-busy");
    }
  });

  return h(
    "section",
    {
      class: "card gate",
      "aria-labelledby": titleId,
      "data-testid": "gate",
      "data-state": gate.state,
    },
    h("h2", { id: titleId }, `‖ Waiting at ${gate.state}`),
    h(
      "p",
      { class: "meta" },
      gate.asks === "approval" ? "Asks for an approval. " : "Asks for a response. ",
      "Waiting since ",
      time(gate.since),
      gate.timeoutAt ? "; times out " : "",
      gate.timeoutAt ? time(gate.timeoutAt) : "",
      gate.timeoutAt && gate.default !== undefined ? ` (then answers “${gate.default}”)` : "",
      ".",
    ),
    h("h3", {}, "What is asked"),
    (() => {
      const prompt = markdown(gate.prompt, "markdown prompt");
      prompt.dataset.testid = "gate-prompt";
      return prompt;
    })(),
    h("p", { class: "who", "data-testid": "gate-who" }, "Who may answer: ", whoText(gate.who), "."),
    gate.mayAnswer
      ? null
      : h(
          "p",
          { class: "note", "data-testid": "gate-forbidden" },
          "Your token may not answer this gate: ask someone who may.",
        ),
    form,
  );
}
