// A form generated from a workflow's input schema (JSON Schema, as the compiler writes it):
// strings, numbers, integers, booleans, enums, lists of strings, and JSON for the rest.
// Required fields are marked; values are checked before they are sent, each message beside
// its field (and the server's own check still applies).
import { h } from "./dom.ts";

interface Schema {
  type?: string | string[];
  enum?: unknown[];
  items?: Schema;
  default?: unknown;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
}

type Field = {
  name: string;
  element: HTMLElement;
  read(): { value?: unknown; error?: string };
  show(error: string | undefined): void;
};

const typeOf = (schema: Schema): string | undefined =>
  Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;

function field(name: string, schema: Schema, required: boolean, idPrefix: string): Field {
  const id = `${idPrefix}-${name}`;
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const type = typeOf(schema);
  const error = h("p", { id: errorId, class: "field-error", "data-testid": `error-${name}` });
  const hintText =
    schema.description ??
    (schema.enum
      ? ""
      : type === "array"
        ? "One item a line."
        : type === "object" || !type
          ? "JSON."
          : "");
  const hint = hintText ? h("p", { id: hintId, class: "hint" }, hintText) : null;
  const described = [hint ? hintId : "", errorId].filter(Boolean).join(" ");
  const common = {
    id,
    name,
    "aria-describedby": described,
    "data-testid": `input-${name}`,
    ...(required && { "aria-required": "true" }),
  };
  const label = h(
    "label",
    { for: id },
    name,
    required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null,
    required ? h("span", { class: "visually-hidden" }, " (required)") : null,
  );
  let control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
  let read: () => { value?: unknown; error?: string };
  const missing = () => (required ? { error: `${name} is required.` } : {});
  const def = schema.default;

  if (schema.enum) {
    const values = schema.enum;
    control = h(
      "select",
      common,
      h("option", { value: "" }, required ? "Choose…" : "(none)"),
      ...values.map((v, i) =>
        h("option", { value: String(i), selected: def !== undefined && v === def }, String(v)),
      ),
    );
    read = () => (control.value === "" ? missing() : { value: values[Number(control.value)] });
  } else if (type === "boolean") {
    const box = h("input", { ...common, type: "checkbox", checked: def === true });
    control = box;
    read = () => ({ value: box.checked });
  } else if (type === "number" || type === "integer") {
    control = h("input", {
      ...common,
      type: "text",
      inputmode: type === "integer" ? "numeric" : "decimal",
      value: typeof def === "number" ? String(def) : "",
    });
    read = () => {
      const text = control.value.trim();
      if (text === "") return missing();
      const n = Number(text);
      if (!Number.isFinite(n)) return { error: `${name} must be a number.` };
      if (type === "integer" && !Number.isInteger(n))
        return { error: `${name} must be a whole number.` };
      return { value: n };
    };
  } else if (type === "array" && (!schema.items || typeOf(schema.items) === "string")) {
    control = h("textarea", {
      ...common,
      rows: 3,
      ...(Array.isArray(def) && { placeholder: "" }),
    });
    if (Array.isArray(def)) control.value = def.join("\n");
    read = () => {
      const items = control.value
        .split("\n")
        .map((l) => l.trim())
        .filter(Boolean);
      if (items.length === 0 && required) return missing();
      return items.length === 0 && !required ? {} : { value: items };
    };
  } else if (type === "string") {
    control = h("input", {
      ...common,
      type: "text",
      value: typeof def === "string" ? def : "",
    });
    read = () => (control.value === "" ? missing() : { value: control.value });
  } else {
    control = h("textarea", { ...common, rows: 3, class: "mono" });
    if (def !== undefined) control.value = JSON.stringify(def, null, 2);
    read = () => {
      const text = control.value.trim();
      if (text === "") return missing();
      try {
        const value = JSON.parse(text) as unknown;
        if (type === "array" && !Array.isArray(value)) return { error: `${name} must be a list.` };
        return { value };
      } catch {
        return { error: `${name} must be JSON.` };
      }
    };
  }
  const element =
    type === "boolean"
      ? h("div", { class: "field check" }, control, label, hint, error)
      : h("div", { class: "field" }, label, control, hint, error);
  return {
    name,
    element,
    read,
    show: (message) => {
      error.textContent = message ?? "";
      if (message) control.setAttribute("aria-invalid", "true");
      else control.removeAttribute("aria-invalid");
    },
  };
}

export interface SchemaForm {
  fields: HTMLElement[];
  /** The inputs, or undefined after showing what is wrong (focus on the first). */
  values(): Record<string, unknown> | undefined;
  /** The server's refusal, by JSON pointer (/inputs/NAME or /NAME). */
  showErrors(errors: { pointer: string; message: string }[]): boolean;
}

export function schemaForm(schema: Record<string, unknown>, idPrefix = "input"): SchemaForm {
  const s = schema as Schema;
  const required = new Set(s.required ?? []);
  const fields = Object.entries(s.properties ?? {}).map(([name, sub]) =>
    field(name, sub, required.has(name), idPrefix),
  );
  return {
    fields: fields.map((f) => f.element),
    values: () => {
      const out: Record<string, unknown> = {};
      let first: Field | undefined;
      for (const f of fields) {
        const { value, error } = f.read();
        f.show(error);
        if (error) first ??= f;
        else if (value !== undefined) out[f.name] = value;
      }
      if (first) {
        first.element.querySelector<HTMLElement>("input,select,textarea")?.focus();
        return undefined;
      }
      return out;
    },
    showErrors: (errors) => {
      let shown = false;
      for (const e of errors) {
        const name = e.pointer.replace(/^\/(inputs\/)?/, "").split("/")[0];
        const f = fields.find((x) => x.name === name);
        if (f) {
          f.show(e.message);
          shown = true;
        }
      }
      return shown;
    },
  };
}
