// Which files the YAML front ends read, and which YAML holds a workflow: apart from them,
// so that knowing it loads no YAML parser (compile-core.ts, the command line's directory
// walk, the language server).
export function isYamlFile(file: string): boolean {
  return /\.ya?ml$/i.test(file);
}

/**
 * Whether YAML text holds a workflow, as the YAML front ends recognise one, told from its
 * top-level keys without parsing: an AEGIS manifest (`apiVersion: 100monkeys.ai/…` and
 * `kind: Workflow`) or an AgentOS workflow (`steps:`). Other YAML in a directory (CI
 * configuration, Kubernetes manifests, AEGIS agent manifests) is not a workflow; a file
 * named on the command line is compiled whatever it holds.
 */
export function looksLikeWorkflowYaml(text: string): boolean {
  const top = (key: string) => new RegExp(`^["']?${key}["']?[ \\t]*:[ \\t]*(.*)$`, "m").exec(text);
  const value = (m: RegExpExecArray | null) =>
    m?.[1]
      ?.replace(/\s+#.*$/, "")
      .replace(/^["']|["']$/g, "")
      .trim();
  if (top("steps")) return true;
  const api = value(top("apiVersion"));
  const kind = value(top("kind"));
  return !!api?.startsWith("100monkeys.ai/") && kind === "Workflow";
}
