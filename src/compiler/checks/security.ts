// Security: untrusted text (from agents, humans, pull requests, callers) must not reach a
// shell unquoted; secrets are never written in plain text nor sent to agents in prompts;
// human gates cannot be skipped.
import type { Value } from "../ast.ts";
import { templateOffset } from "../strings.ts";
import { analyzeTemplate, type TemplateReference } from "../templates.ts";
import { shellSafeHelpers } from "../vocabulary.ts";
import type { Check, CheckContext, TemplateUse } from "./context.ts";
import { Resolver } from "./resolve.ts";

/** Helpers that only test their arguments and print none of them. */
const nonPrinting = new Set([
  "if",
  "unless",
  "with",
  "each",
  "eq",
  "ne",
  "gt",
  "gte",
  "lt",
  "lte",
  "and",
  "or",
  "not",
  "contains",
]);

export const checkSecurity: Check = (ctx) => {
  checkShellInterpolation(ctx);
  checkLiteralSecrets(ctx);
  checkGates(ctx);
};

function checkShellInterpolation(ctx: CheckContext): void {
  const resolver = new Resolver(ctx.graph, ctx.facts);
  for (const use of ctx.facts.templateUses) {
    if (
      use.role !== "shell" &&
      use.role !== "prompt" &&
      use.role !== "judge" &&
      use.role !== "intent"
    )
      continue;
    const analysis = analyzeTemplate(use.template);
    if (analysis.error) continue;
    for (const ref of analysis.references) {
      const parts = ref.parts[0] === "@root" ? ref.parts.slice(1) : ref.parts;
      const resolvedParts = ref.relative ? (ref.scopeSource ?? []) : parts;
      if (resolvedParts.length === 0) {
        if (use.role === "shell" && printsScope(ref, parts)) reportScope(ctx, use, ref);
        continue;
      }
      const r = resolver.resolve(resolvedParts, {
        moment: use.moment,
        bareFields: false,
        ...(use.state && { state: use.state }),
      });
      if ("code" in r) continue;
      const file = use.template.span.file;
      const printed =
        ref.direct ||
        (ref.helper !== undefined &&
          !nonPrinting.has(ref.helper) &&
          !shellSafeHelpers.has(ref.helper));
      if (use.role !== "shell") {
        if (
          parts[0] === "secrets" &&
          !ref.relative &&
          (ref.direct || (ref.helper !== undefined && !nonPrinting.has(ref.helper)))
        ) {
          ctx.report({
            code: "AEG603",
            message: `secret '${parts.slice(1).join(".")}' is sent to an agent in its ${use.role}`,
            span: ref.span,
            file,
            hint: "give the agent the secret through its environment (agent options env: { … }) instead",
          });
        }
        continue;
      }
      if (r.trust === "trusted") continue;
      if (!printed) continue;
      const what = ref.relative ? `an item of '${resolvedParts.join(".")}'` : `'${ref.original}'`;
      const source =
        r.trust === "caller"
          ? "a caller-supplied input"
          : parts[0] === "github"
            ? "the pull request or event"
            : "an agent, a human or a command's output";
      // YAML dialects had no way to quote: there, an unquoted value is a warning, so that
      // existing files keep running; `aegis convert` turns it into an error to fix.
      const fromYaml = ctx.ast.dialect !== undefined && ctx.ast.dialect !== "aegis";
      ctx.report({
        code: r.trust === "caller" ? "AEG606" : "AEG601",
        message: `${what} comes from ${source} and is put into a shell command unquoted`,
        span: ref.span,
        file,
        hint: `write {{quote ${ref.original}}}, or pass it in env { VALUE: "{{${ref.original}}}" } and use "$VALUE"`,
        ...(fromYaml && r.trust !== "caller" && { severity: "warning" as const }),
      });
    }
  }
}

/**
 * `{{this}}` or `{{@root}}` at the top of a template, or `{{this}}` inside `{{#each this}}`:
 * the run's values, written as JSON (agents' and commands' output among them).
 */
function printsScope(ref: TemplateReference, parts: string[]): boolean {
  const printed = ref.direct || (ref.helper !== undefined && !nonPrinting.has(ref.helper));
  if (!printed || shellSafeHelpers.has(ref.helper ?? "") || parts.length > 0) return false;
  return !ref.relative || ref.scopeSource?.length === 0;
}

function reportScope(ctx: CheckContext, use: TemplateUse, ref: TemplateReference): void {
  ctx.report({
    code: "AEG601",
    message: `'${ref.original}' writes the run's values, agents' and commands' output among them, into a shell command unquoted`,
    span: ref.span,
    file: use.template.span.file,
    hint: "name the value you need, and write {{quote X.output}}",
    ...(ctx.ast.dialect !== undefined &&
      ctx.ast.dialect !== "aegis" && { severity: "warning" as const }),
  });
}

const secretPatterns: [RegExp, string][] = [
  [/\bgh[pousr]_[A-Za-z0-9]{36,}\b/, "a GitHub token"],
  [/\bgithub_pat_[A-Za-z0-9_]{40,}\b/, "a GitHub token"],
  [/\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}\b/, "an API key"],
  [/\bAKIA[0-9A-Z]{16}\b/, "an AWS access key"],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}\b/, "a Slack token"],
  [/\bAIza[0-9A-Za-z_-]{35}\b/, "a Google API key"],
  [/-----BEGIN (?:RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----/, "a private key"],
];

const secretishKey = /(?:^|_)(?:api_?key|token|secret|password|passwd|credential|private_key)$/i;

function checkLiteralSecrets(ctx: CheckContext): void {
  const wf = ctx.ast.workflow;
  if (!wf) return;
  const visit = (v: Value | undefined, key?: string): void => {
    if (!v) return;
    switch (v.kind) {
      case "string": {
        for (const [pattern, what] of secretPatterns) {
          const match = pattern.exec(v.value);
          if (match) {
            const start = templateOffset(v.template, match.index);
            ctx.report({
              code: "AEG602",
              message: `this looks like ${what} written in plain text`,
              span: {
                start,
                end: templateOffset(v.template, match.index + match[0].length - 1) + 1,
              },
              hint: 'declare `secret NAME` and use secret("NAME") or {{secrets.NAME}}; rotate the exposed value',
            });
            return;
          }
        }
        if (key && secretishKey.test(key) && v.value.length >= 8 && !v.value.includes("{{")) {
          ctx.report({
            code: "AEG602",
            message: `'${key}' is given a literal value; secrets must not be written in workflow files`,
            span: v.span,
            hint: 'use secret("NAME") or env("NAME")',
          });
        }
        return;
      }
      case "list":
        for (const item of v.items) visit(item, key);
        return;
      case "object":
        for (const e of v.entries) visit(e.value, e.key.name);
        return;
      case "call":
        return;
      default:
        return;
    }
  };
  visit(wf.context);
  visit(wf.labels);
  visit(wf.annotations);
  for (const input of wf.inputs) visit(input.default, input.name.name);
  for (const agent of wf.agents) {
    for (const a of agent.args) visit(a);
    for (const o of agent.options) visit(o.value, o.key.name);
  }
  for (const state of wf.states) {
    visit(state.command);
    for (const st of state.statements) {
      if (
        "value" in st &&
        st.value &&
        typeof st.value === "object" &&
        "kind" in st.value &&
        st.value.kind !== "template"
      )
        visit(st.value as Value);
      if (st.kind === "prompt" || st.kind === "intent") {
        visit({
          kind: "string",
          value: st.template.text,
          span: st.template.span,
          template: st.template,
        });
      }
    }
  }
}

function checkGates(ctx: CheckContext): void {
  const { facts } = ctx;
  facts.states.forEach((gate, i) => {
    const node = facts.nodes[i]!;
    if (node.kind !== "human" || !facts.reachable.has(gate)) return;
    const file = node.span.file;
    if (node.human?.default && /^approved?$/i.test(node.human.default)) {
      ctx.report({
        code: "AEG605",
        message: `human gate '${gate}' approves by itself when nobody answers`,
        span: node.nameSpan,
        hint: "make the default `rejected`, or remove it so that a timeout fails the gate",
      });
    }
    const transitions = facts.transitions[i]!;
    const approvedTargets = new Set(
      transitions
        .filter(
          (t) =>
            /\bapproved\b/.test(t.attributes.label) && !/not approved/.test(t.attributes.label),
        )
        .map((t) => t.target),
    );
    // A rejection or timeout that leads where approval leads makes the gate decorative.
    for (const t of transitions) {
      const label = t.attributes.label;
      const isApproval = /\bapproved\b/.test(label) && !/not approved/.test(label);
      if (
        !isApproval &&
        approvedTargets.has(t.target) &&
        /\b(rejected|timeout|timed_out|failure|otherwise)\b|^otherwise$|not approved/.test(label)
      ) {
        ctx.report({
          code: "AEG604",
          message: `gate '${gate}' can be bypassed: '${label}' leads to '${t.target}', as approval does`,
          span: t.attributes.span,
          file,
          hint: "send rejections back for rework or to a failure state",
        });
      }
    }
    // States after the approval must not be reachable around the gate.
    for (const target of approvedTargets) {
      if (target === gate) continue;
      // Dominance answers in O(1); the path is searched only to explain a finding.
      const path = ctx.facts.mustHaveRun(target, gate)
        ? undefined
        : ctx.facts.pathAvoiding(target, gate);
      if (path) {
        ctx.report({
          code: "AEG604",
          message: `gate '${gate}' can be bypassed: '${target}' is reachable without approval, by ${path.join(" → ")}`,
          span: node.nameSpan,
          file,
          hint: `route that path through '${gate}' too`,
        });
      }
    }
  });
}
