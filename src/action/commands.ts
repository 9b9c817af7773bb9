// Commands in an issue or pull-request comment: `/approve`, `/reject <why>`, `/status`,
// `/retry`, `/cancel`. A command is the first word of a line, outside quoted (`>`) lines
// and fenced code blocks, so that quoting someone's `/approve` never approves.

export type CommandName = "approve" | "reject" | "status" | "retry" | "cancel";

export interface Command {
  name: CommandName;
  /** The rest of the line (and for /reject, the lines after it up to the next command). */
  args: string;
  /** 1-based line of the comment. */
  line: number;
}

const names = new Set<string>(["approve", "reject", "status", "retry", "cancel"]);

/** Every command of a comment, in order. */
export function parseCommands(body: string): Command[] {
  const lines = body.replace(/\r\n?/g, "\n").split("\n");
  const out: Command[] = [];
  let fence: string | undefined;
  let current: Command | undefined;
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    const fenceMatch = /^(`{3,}|~{3,})/.exec(line);
    if (fence !== undefined) {
      if (fenceMatch && fenceMatch[1]![0] === fence[0] && fenceMatch[1]!.length >= fence.length)
        fence = undefined;
      current = undefined;
      continue;
    }
    if (fenceMatch) {
      fence = fenceMatch[1]!;
      current = undefined;
      continue;
    }
    // Indented code blocks (4 spaces or a tab) and quotes are never commands.
    if (/^( {4}|\t)/.test(raw) || line.startsWith(">")) {
      current = undefined;
      continue;
    }
    const match = /^\/([a-z]+)\b(.*)$/i.exec(line);
    const name = match?.[1]?.toLowerCase();
    if (match && name && names.has(name)) {
      current = { name: name as CommandName, args: match[2]!.trim(), line: index + 1 };
      out.push(current);
      continue;
    }
    // A /reject's reason may go on over the following lines.
    if (current?.name === "reject" && line !== "")
      current.args = current.args ? `${current.args}\n${line}` : line;
    else current = undefined;
  }
  return out;
}
