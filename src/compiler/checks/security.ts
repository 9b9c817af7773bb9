// Security: untrusted text (from agents, humans, pull requests, callers) must not reach a
// shell unquoted; secrets are never written in plain text nor sent to agents in prompts;
// human gates cannot be skipped.
import type { Span, Value } from "../ast.ts";
import type { StateNode, TemplateRef } from "../graph.ts";
import { MASK, readShell, type ShellRole } from "../shell.ts";
import { templateOffset } from "../strings.ts";
import { analyzeTemplate, type TemplateReference } from "../templates.ts";
import { shellSafeHelpers } from "../vocabulary.ts";
import { type Check, type CheckContext, isShellScript, type TemplateUse } from "./context.ts";
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
  checkTaintedEnvironment(ctx);
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
        skips: false,
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
      if (!printed) {
        if (ref.helper === "quote" && r.trust === "untrusted") {
          const reading = evaluatedQuote(use.template, ref.span.start);
          if (reading) {
            const what = ref.relative
              ? `an item of '${resolvedParts.join(".")}'`
              : `'${ref.original}'`;
            const source =
              parts[0] === "github"
                ? "the pull request or event"
                : "an agent, a human or a command's output";
            ctx.report({
              code: "AEG607",
              message: `${what} comes from ${source}; {{quote}} makes it one word, but ${reading.role === "command" ? "the shell runs that word as the command: the text chooses what runs" : evaluation(reading.role, reading.via)}`,
              span: ref.span,
              file,
              hint: `pass it in env { VALUE: "{{${ref.original}}}" } and use it only as a double-quoted argument, e.g. printf '%s\\n' "$VALUE"; never give it to eval, sh -c or a shell's input, nor run it as a command`,
            });
          }
        }
        continue;
      }
      const what = ref.relative ? `an item of '${resolvedParts.join(".")}'` : `'${ref.original}'`;
      const source =
        r.trust === "caller"
          ? "a caller-supplied input"
          : parts[0] === "github"
            ? "the pull request or event"
            : "an agent, a human or a command's output";
      // The same finding, the same severity, in every dialect: YAML commands take
      // {{quote …}} too, and `aegis convert` must not produce source that no longer compiles.
      ctx.report({
        code: r.trust === "caller" ? "AEG606" : "AEG601",
        message: `${what} comes from ${source} and is put into a shell command unquoted`,
        span: ref.span,
        file,
        hint: `write {{quote ${ref.original}}}, or pass it in env { VALUE: "{{${ref.original}}}" } and use "$VALUE"`,
      });
    }
  }
}

/** Where an environment variable's text comes from, when it is untrusted. */
interface Taint {
  /** The template reference that puts it there (`A.output`), or how it got there. */
  what: string;
  source: string;
  /** The env value that sets it. */
  set: TemplateRef;
  /** For a variable the script assigns from another: that variable. */
  through?: string;
}

/** How the shell evaluates an expansion, after "and …". */
function evaluation(role: Exclude<ShellRole, "split" | "kept">, via: string): string {
  switch (role) {
    case "eval":
      return "`eval` runs it as shell code";
    case "script":
      return `\`${via}\` runs it as a script`;
    case "stdin":
      return `${via} runs it as a script`;
    case "arithmetic":
      return `${via === "arithmetic" ? "`$(( … ))`" : `\`${via}\``} evaluates it as arithmetic, where bash, ksh and zsh run the $( … ) of an array subscript`;
    case "command":
      return "the shell runs it as the command: the text chooses what runs, and its words become arguments";
  }
}

/**
 * Untrusted text passed to a process in `env { X: "{{A.output}}" }` is safe in the shell as
 * "$X", an argument kept whole. Where the shell reads it again as code (eval, sh -c, a
 * shell's standard input, arithmetic) or runs it as the command, it is an injection like
 * `{{A.output}}` in the command (AEG607); an unquoted $X argument is split into words and
 * glob-expanded, which lets the text add arguments and options (AEG608).
 */
function checkTaintedEnvironment(ctx: CheckContext): void {
  let resolver: Resolver | undefined;
  const taintOf = (state: string, template: TemplateRef): Omit<Taint, "set"> | undefined => {
    if (!template.text.includes("{{")) return undefined;
    const analysis = analyzeTemplate(template);
    if (analysis.error) return undefined;
    resolver ??= new Resolver(ctx.graph, ctx.facts);
    for (const ref of analysis.references) {
      const parts = ref.parts[0] === "@root" ? ref.parts.slice(1) : ref.parts;
      const resolvedParts = ref.relative ? (ref.scopeSource ?? []) : parts;
      if (resolvedParts.length === 0) {
        if (printsScope(ref, parts))
          return { what: ref.original, source: "the run's values, agents' output among them" };
        continue;
      }
      const printed =
        ref.direct ||
        (ref.helper !== undefined &&
          !nonPrinting.has(ref.helper) &&
          !shellSafeHelpers.has(ref.helper));
      if (!printed) continue;
      // Whether the state has run is AEG406's business: here only where the text comes from.
      const r = resolver.resolve(resolvedParts, {
        state,
        moment: "before",
        bareFields: false,
        skips: false,
        guards: [resolvedParts[0]!],
      });
      if ("code" in r || r.trust !== "untrusted") continue;
      return {
        what: ref.relative ? `an item of ${resolvedParts.join(".")}` : ref.original,
        source:
          parts[0] === "github"
            ? "the pull request or event"
            : "an agent, a human or a command's output",
      };
    }
    return undefined;
  };
  ctx.facts.states.forEach((state, i) => {
    const node = ctx.facts.nodes[i]!;
    const processes: [Pick<StateNode, "env" | "command">, string][] = [
      [node, `'${state}'`],
      ...(node.containers ?? []).map((c): [Pick<StateNode, "env" | "command">, string] => [
        c,
        `container '${c.name}' of '${state}'`,
      ]),
    ];
    for (const [p, where] of processes) {
      if (!p.env || !p.command) continue;
      const tainted = new Map<string, Taint>();
      for (const [name, template] of Object.entries(p.env)) {
        const t = taintOf(state, template);
        if (t) tainted.set(name, { ...t, set: template });
      }
      if (tainted.size === 0) continue;
      const scripts =
        "shell" in p.command
          ? [p.command.shell]
          : p.command.argv.filter((_, k, argv) => isShellScript(argv, k));
      for (const script of scripts) checkScript(ctx, script, new Map(tainted), where);
    }
  });
}

function checkScript(
  ctx: CheckContext,
  script: TemplateRef,
  tainted: Map<string, Taint>,
  where: string,
): void {
  // No expansion, no arithmetic: nothing to look at.
  if (!/[$]|\blet\b|\(\(/.test(script.text)) return;
  const file = script.span.file;
  for (const e of readShell(masked(script.text))) {
    if (e.kind === "assignment") {
      const from = e.from.find((n) => tainted.has(n));
      if (from && !tainted.has(e.name))
        tainted.set(e.name, { ...tainted.get(from)!, through: from });
      continue;
    }
    const t = tainted.get(e.name);
    if (!t || e.role === "kept") continue;
    const span: Span = {
      start: templateOffset(script, e.start),
      end: templateOffset(script, Math.max(e.start, e.end - 1)) + 1,
    };
    const holds = `'$${e.name}' holds '${t.what}', text from ${t.source}${t.through ? ` (through '$${t.through}')` : ""}, set in the env of ${where}`;
    const related = [
      {
        file: t.set.span.file,
        span: t.set.span,
        message: `'${t.through ?? e.name}' is set to '${t.what}' here`,
      },
    ];
    if (e.role === "split") {
      ctx.report({
        code: "AEG608",
        message: `${holds}; unquoted here, the shell splits it into words and expands * and ? in it, so the text can add arguments and options`,
        span,
        file,
        hint: `write "$${e.name}", in double quotes`,
        related,
      });
      continue;
    }
    ctx.report({
      code: "AEG607",
      message: `${holds}, and ${evaluation(e.role, e.via)}`,
      span,
      file,
      hint: `use it only as a double-quoted argument, e.g. printf '%s\\n' "$${e.name}"; never give it to eval, sh -c or a shell's input, nor run it as a command`,
      related,
    });
  }
}

/**
 * How the shell reads the word `{{quote X}}` makes, for the statement at file offset `at`:
 * as the quoted expansion "$V" stands (one word, never split), so eval, `sh -c`, a shell's
 * input or the command position still run it. Undefined where it stays a value (an
 * argument, or inside other quotes; arithmetic refuses the quote's '…').
 */
function evaluatedQuote(
  template: TemplateRef,
  at: number,
): { role: Exclude<ShellRole, "split" | "kept" | "arithmetic">; via: string } | undefined {
  const name = "AEGIS_QUOTED_VALUE";
  let found = false;
  // The statement at `at` becomes "$NAME"; the others are masked as in checkScript.
  const text = masked(template.text, (tag, offset) => {
    const start = templateOffset(template, offset);
    const end = templateOffset(template, offset + tag.length - 1) + 1;
    if (found || at < start || at >= end) return undefined;
    found = true;
    return `"$${name}"`;
  });
  if (!found) return undefined;
  for (const e of readShell(text)) {
    if (e.kind !== "expansion" || e.name !== name) continue;
    if (e.role === "eval" || e.role === "script" || e.role === "stdin" || e.role === "command")
      return { role: e.role, via: e.via };
  }
  return undefined;
}

/**
 * A command template with its Handlebars statements masked: each value statement's
 * characters become MASK (part of a word), or what `value` writes for it; a block's tags
 * become spaces.
 */
function masked(
  text: string,
  value: (tag: string, offset: number) => string | undefined = () => undefined,
): string {
  if (!text.includes("{{")) return text;
  return text.replace(/\{\{!--[\s\S]*?--\}\}|\{\{\{?[\s\S]*?\}?\}\}/g, (tag, offset: number) =>
    /^\{\{~?[#/^!]|^\{\{~?\s*else\b/.test(tag)
      ? " ".repeat(tag.length)
      : (value(tag, offset) ?? MASK.repeat(tag.length)),
  );
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

/** Whether a gate's transition is taken on approval. */
const approves = (label: string) => /\bapproved\b/.test(label) && !/not approved/.test(label);

/**
 * A shortest path from the start to `to` that never takes one of `gate`'s approvals: how a
 * state the gate protects can be reached without a human saying yes. Each step after the
 * first is "STATE" or, out of the gate, "GATE (label)".
 */
function pathWithoutApproval(ctx: CheckContext, gate: number, to: number): string[] | undefined {
  const { facts } = ctx;
  const start = facts.start === undefined ? undefined : facts.indexOf.get(facts.start);
  if (start === undefined) return undefined;
  const previous = new Int32Array(facts.states.length).fill(-2);
  const via: (string | undefined)[] = [];
  previous[start] = -1;
  const queue = [start];
  for (let head = 0; head < queue.length && previous[to] === -2; head++) {
    const s = queue[head]!;
    for (const t of facts.transitions[s]!) {
      if (s === gate && approves(t.attributes.label)) continue;
      const next = facts.indexOf.get(t.target);
      if (next === undefined || previous[next] !== -2) continue;
      previous[next] = s;
      if (s === gate) via[next] = t.attributes.label;
      queue.push(next);
    }
  }
  if (previous[to] === -2) return undefined;
  const steps: string[] = [];
  let label: string | undefined;
  for (let s = to; ; ) {
    steps.push(label !== undefined ? `${facts.states[s]!} (${label})` : facts.states[s]!);
    const before = previous[s]!;
    if (before === -1) break;
    label = before === gate ? via[s] : undefined;
    s = before;
  }
  return steps.reverse();
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
        message: `human gate '${gate}' approves by itself when nobody answers: time approves, not a human`,
        span: node.human.defaultSpan ?? node.nameSpan,
        file,
        hint: "make the default `rejected`, or remove it so that a timeout fails the gate (where a timed approval is meant, suppress this with a reason)",
      });
    }
    const transitions = facts.transitions[i]!;
    const protects = node.human?.protects;
    if (protects !== undefined) {
      checkProtected(ctx, i, protects);
      return;
    }
    const approvedTargets = new Set(
      transitions.filter((t) => approves(t.attributes.label)).map((t) => t.target),
    );
    // A rejection or timeout that leads where approval leads makes the gate decorative.
    for (const t of transitions) {
      const label = t.attributes.label;
      if (
        !approves(label) &&
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
    // Without `protects`, a gate protects where its approval leads: that must not be
    // reachable around the gate.
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
          hint: `if '${gate}' is meant to guard only some paths (a human for risky changes only), say which states only its approval may reach: \`protects [STATE, …]\` in '${gate}' (\`protects []\`: none)`,
        });
      }
    }
  });
}

/**
 * `protects [A, B]`: each listed state is reached only through the gate's approval — no path
 * from the start around the gate, or through its rejection, timeout or `otherwise`, leads
 * there — and its approval does lead there.
 */
function checkProtected(ctx: CheckContext, gate: number, protects: string[]): void {
  const { facts } = ctx;
  const name = facts.states[gate]!;
  const node = facts.nodes[gate]!;
  const span = node.human?.protectsSpan ?? node.nameSpan;
  const file = node.span.file;
  // Where approval leads, and everything after it.
  const afterApproval = new Set<number>();
  const queue = facts.transitions[gate]!.filter((t) => approves(t.attributes.label)).flatMap(
    (t) => {
      const i = facts.indexOf.get(t.target);
      return i === undefined ? [] : [i];
    },
  );
  for (const s of queue) afterApproval.add(s);
  for (let head = 0; head < queue.length; head++) {
    for (const next of facts.successors[queue[head]!]!) {
      if (afterApproval.has(next)) continue;
      afterApproval.add(next);
      queue.push(next);
    }
  }
  for (const target of new Set(protects)) {
    const index = facts.indexOf.get(target);
    if (index === undefined || !facts.reachable.has(target)) continue; // AEG201, AEG205
    if (!afterApproval.has(index)) {
      ctx.report({
        code: "AEG604",
        message: `gate '${name}' protects '${target}', but its approval does not lead there`,
        span,
        file,
        hint: `list the states '${name}''s approval leads to, or add \`on approved -> ${target}\``,
      });
      continue;
    }
    const path = pathWithoutApproval(ctx, gate, index);
    if (path) {
      ctx.report({
        code: "AEG604",
        message: `gate '${name}' can be bypassed: '${target}', which it protects, is reachable without its approval, by ${path.join(" → ")}`,
        span,
        file,
        hint: `send that path to a state '${name}' does not protect, or through '${name}' again`,
      });
    }
  }
}
