// Renders templates: Handlebars without HTML escaping (prompts are not HTML), with the
// helpers the compiler's vocabulary lists (src/compiler/vocabulary.ts).
import Handlebars from "handlebars";
import { lengthOf, text } from "./evaluate.ts";

const hbs = Handlebars.create();

/** POSIX shell quoting: one word, whatever the text holds. */
export function shellQuote(value: unknown): string {
  const text = value === undefined || value === null ? "" : String(value);
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

const last = (args: unknown[]) => args.slice(0, -1); // Handlebars appends its options object

hbs.registerHelper({
  json: (value: unknown) => JSON.stringify(text(value) ?? null),
  quote: shellQuote,
  default: (value: unknown, fallback: unknown) => {
    const v = text(value);
    return v === undefined || v === null || v === "" ? fallback : value;
  },
  join: (list: unknown, separator: unknown) =>
    Array.isArray(list)
      ? list.map(String).join(typeof separator === "string" ? separator : ", ")
      : String(list ?? ""),
  truncate: (value: unknown, n: unknown) => {
    const text = String(value ?? "");
    const max = Number(n);
    return Number.isFinite(max) && text.length > max ? `${text.slice(0, max)}…` : text;
  },
  upper: (v: unknown) => String(v ?? "").toUpperCase(),
  lower: (v: unknown) => String(v ?? "").toLowerCase(),
  trim: (v: unknown) => String(v ?? "").trim(),
  indent: (v: unknown, n: unknown) => {
    const pad = " ".repeat(Number(n) || 0);
    return String(v ?? "")
      .split("\n")
      .map((l) => pad + l)
      .join("\n");
  },
  eq: (a: unknown, b: unknown) => String(a) === String(b),
  ne: (a: unknown, b: unknown) => String(a) !== String(b),
  gt: (a: unknown, b: unknown) => Number(a) > Number(b),
  gte: (a: unknown, b: unknown) => Number(a) >= Number(b),
  lt: (a: unknown, b: unknown) => Number(a) < Number(b),
  lte: (a: unknown, b: unknown) => Number(a) <= Number(b),
  and: (...args: unknown[]) => last(args).every(Boolean),
  or: (...args: unknown[]) => last(args).some(Boolean),
  not: (v: unknown) => !v,
  len: lengthOf,
  keys: (v: unknown) => (v && typeof v === "object" ? Object.keys(v).join(", ") : ""),
  contains: (a: unknown, b: unknown) =>
    Array.isArray(a) ? a.includes(b) : String(a ?? "").includes(String(b)),
});

// `if`/`unless` test text with fields (a command's output) by its text: empty stdout is false.
const builtinIf = hbs.helpers.if!;
const builtinUnless = hbs.helpers.unless!;
const unwrap = (v: unknown) =>
  v && typeof v === "object" && !Array.isArray(v)
    ? ((v as { valueOf(): unknown }).valueOf() ?? v)
    : v;
hbs.registerHelper(
  "if",
  function (this: unknown, condition: unknown, options: Handlebars.HelperOptions) {
    return builtinIf.call(this, unwrap(condition), options);
  },
);
hbs.registerHelper(
  "unless",
  function (this: unknown, condition: unknown, options: Handlebars.HelperOptions) {
    return builtinUnless.call(this, unwrap(condition), options);
  },
);

const cache = new Map<string, HandlebarsTemplateDelegate>();

export function render(text: string, scope: Record<string, unknown>): string {
  if (!text.includes("{{")) return text;
  let template = cache.get(text);
  if (!template) {
    template = hbs.compile(text, { noEscape: true, strict: false, knownHelpersOnly: false });
    cache.set(text, template);
  }
  return template(scope, { allowProtoPropertiesByDefault: true });
}
