// A small reader of POSIX sh command lines (and the bash forms workflows use) for the
// security check: where each parameter expansion ($X, ${X…}) of a script stands — read
// again as shell code (eval, sh -c, a shell's standard input, arithmetic), the command
// name, an unquoted argument that is split into words and glob-expanded, or one value kept
// whole — and which variables the script assigns from which. It reads quotes, backslashes,
// comments, $( … ), backquotes, $(( … )), here-documents and here-strings, pipelines,
// `for`, `case` and `[[ … ]]`, and the usual wrappers (`env`, `sudo`, `exec`, `xargs` …).
// It does not run anything, follow functions or aliases, or track values through files.

/** Where an expansion stands, from most to least dangerous. */
export type ShellRole =
  /** An argument of `eval`: read again as shell code. */
  | "eval"
  /** The script of `sh -c`, `bash -c` …: read as shell code. */
  | "script"
  /** Fed to a shell on its standard input (a pipe, a here-document, a here-string). */
  | "stdin"
  /** In `$(( … ))`, `(( … ))` or `let`: bash, ksh and zsh evaluate `a[$(cmd)]` there. */
  | "arithmetic"
  /** The command name (or part of it): the text chooses what runs. */
  | "command"
  /** An unquoted argument: split into words and glob-expanded, never read as code. */
  | "split"
  /** Quoted, assigned, a `case` subject, inside `[[ … ]]`, in a here-document: one value. */
  | "kept";

export interface ShellExpansion {
  kind: "expansion";
  name: string;
  /** Offsets in the text: from the `$` (or the name, in arithmetic) to past the end. */
  start: number;
  end: number;
  role: ShellRole;
  /** What reads it as code or runs it: "eval", "sh -c", "a pipe into bash" … */
  via: string;
}

export interface ShellAssignment {
  kind: "assignment";
  name: string;
  /** Variables whose values the assigned value contains. */
  from: string[];
  start: number;
  end: number;
}

export type ShellEvent = ShellExpansion | ShellAssignment;

/** Stands for a template statement's characters (it is part of a word, never a name). */
export const MASK = "\uE000";

const shells = new Set(["sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "yash", "posh"]);
/** Commands that run the command after their options (and a few operands). */
const wrappers = new Set([
  "command",
  "builtin",
  "exec",
  "nohup",
  "time",
  "nice",
  "sudo",
  "doas",
  "env",
  "xargs",
  "timeout",
  "stdbuf",
  "setsid",
]);
/** Options of those wrappers that take a value in the next word. */
const optionsWithValue = new Set([
  "-u",
  "-g",
  "-n",
  "-s",
  "-k",
  "-C",
  "-I",
  "-d",
  "-P",
  "-L",
  "-a",
]);
const declarations = new Set(["export", "local", "declare", "typeset", "readonly"]);
const reserved = new Set([
  "if",
  "then",
  "else",
  "elif",
  "fi",
  "do",
  "done",
  "while",
  "until",
  "{",
  "}",
  "!",
  "time",
]);
const metachar = /[\s;&|()<>]/;
const nameStart = /[A-Za-z_]/;
const nameChar = /[A-Za-z0-9_]/;

interface Expansion {
  name: string;
  start: number;
  end: number;
  quoted: boolean;
}

interface Word {
  start: number;
  end: number;
  /** The value after quote removal, when the word is plain text (no expansion, no template). */
  literal?: string;
  /** Literal characters after quote removal, and where each stands in the text. */
  value: string;
  positions: number[];
  expansions: Expansion[];
  /** Events of the $( … ) and backquotes in the word, classified where they stand. */
  inner: ShellEvent[];
  /** Arithmetic $(( … )) in the word. */
  arithmetic: Expansion[];
  /** NAME= at the start of the word, unquoted. */
  assigns?: string;
  /** Has $'…', whose value is not worked out. */
  ansi?: boolean;
}

interface Redirect {
  op: string;
  word?: Word;
  /** A here-document's body: what it expands, and its substitutions. */
  body?: { expansions: Expansion[]; inner: ShellEvent[] };
}

interface Command {
  words: Word[];
  redirects: Redirect[];
  /** "simple"; "list" (a `for` list: split); "kept" (`case` words, `[[ … ]]`). */
  form: "simple" | "list" | "kept";
  pipeline: number;
  /** `(( … ))`: names evaluated as arithmetic. */
  arithmetic?: Expansion[];
}

interface Pending {
  delimiter: string;
  expands: boolean;
  stripTabs: boolean;
  redirect: Redirect;
}

type Token =
  | { t: "word"; word: Word }
  | { t: "op"; op: string; start: number }
  | { t: "redir"; op: string; start: number }
  | { t: "arith"; names: Expansion[] }
  | { t: "end" };

/** How deep substitutions and scripts read again nest before the reader stops. */
const MAX_NESTING = 32;
let nesting = 0;

/** Reads `text` (a shell script) and lists its expansions and assignments, in order. */
export function readShell(text: string): ShellEvent[] {
  return new Reader(text, 0, false).script().events;
}

class Reader {
  private readonly text: string;
  private pos: number;
  /** Inside $( … ): stop at the unmatched ")". */
  private readonly nested: boolean;
  private readonly pending: Pending[] = [];
  private readonly commands: Command[] = [];
  private pipeline = 0;
  /** Open `case`s: whether the next words are patterns. */
  private readonly cases: { patterns: boolean }[] = [];
  private depth = 0;

  constructor(text: string, pos: number, nested: boolean) {
    this.text = text;
    this.pos = pos;
    this.nested = nested;
  }

  /** Reads to the end (or the ")" that closes a $( … )); `end` is past that ")". */
  script(): { events: ShellEvent[]; end: number } {
    // Substitutions nested deeper than this are not read (a bounded stack for any input).
    if (nesting >= MAX_NESTING) return { events: [], end: this.text.length };
    nesting++;
    try {
      return this.read();
    } finally {
      nesting--;
    }
  }

  private read(): { events: ShellEvent[]; end: number } {
    let current: Command | undefined;
    let atStart = true;
    const finish = () => {
      if (current) this.commands.push(current);
      current = undefined;
      atStart = true;
    };
    const command = (): Command => {
      current ??= { words: [], redirects: [], form: "simple", pipeline: this.pipeline };
      return current;
    };
    let dbracket = false;
    let forList: Command | undefined;
    let forName: string | undefined;
    for (;;) {
      const tok = this.token(atStart && !dbracket);
      if (tok.t === "end") break;
      if (tok.t === "arith") {
        finish();
        this.commands.push({
          words: [],
          redirects: [],
          form: "simple",
          pipeline: this.pipeline,
          arithmetic: tok.names,
        });
        atStart = false;
        continue;
      }
      if (dbracket) {
        if (tok.t === "word" && tok.word.literal === "]]") {
          dbracket = false;
          finish();
        } else if (tok.t === "word") command().words.push(tok.word);
        continue;
      }
      if (tok.t === "op") {
        const op = tok.op;
        if (op === ")" && this.cases.at(-1)?.patterns) {
          // The end of a case item's patterns: its commands follow.
          this.cases.at(-1)!.patterns = false;
          finish();
          continue;
        }
        if (op === "(" && current && current.words.length > 0 && current.form === "simple") {
          // `name ( )`: a function definition.
          const next = this.token(false);
          if (next.t === "op" && next.op === ")") {
            current = undefined;
            atStart = true;
            continue;
          }
          this.unread = next;
        }
        if (op === "(" && this.cases.at(-1)?.patterns) continue;
        if (forList) {
          this.commands.push(forList);
          this.assignFromList(forName!, forList);
          forList = undefined;
        }
        if (op === ")") {
          if (this.depth === 0 && this.nested) {
            finish();
            break;
          }
          this.depth--;
          finish();
          atStart = false;
          continue;
        }
        if (op === "(") {
          finish();
          this.depth++;
          continue;
        }
        if (op === ";;" || op === ";&" || op === ";;&") {
          finish();
          const open = this.cases.at(-1);
          if (open) open.patterns = true;
          continue;
        }
        const piped = op === "|" || op === "|&";
        finish();
        if (!piped) this.pipeline++;
        continue;
      }
      if (tok.t === "redir") {
        const c = forList ?? command();
        const redirect: Redirect = { op: tok.op };
        c.redirects.push(redirect);
        const target = this.token(false);
        if (target.t !== "word") {
          this.unread = target;
          continue;
        }
        if (tok.op === "<<" || tok.op === "<<-") {
          const raw = this.text.slice(target.word.start, target.word.end);
          this.pending.push({
            delimiter: target.word.value,
            expands: !/["'\\]/.test(raw),
            stripTabs: tok.op === "<<-",
            redirect,
          });
        } else redirect.word = target.word;
        continue;
      }
      const word = tok.word;
      if (forList) {
        if (forList.words.length === 0 && word.literal === "in" && forName !== undefined) {
          forList.words.push(word);
          continue;
        }
        if (word.literal === "do" && forList.words.length <= 1) {
          forList = undefined;
          atStart = true;
          continue;
        }
        forList.words.push(word);
        continue;
      }
      const open = this.cases.at(-1);
      if (open?.patterns) {
        if (word.literal === "esac") {
          this.cases.pop();
          atStart = false;
          continue;
        }
        if (word.literal === "|" || word.literal === "(") continue;
        this.commands.push({ words: [word], redirects: [], form: "kept", pipeline: this.pipeline });
        continue;
      }
      if (atStart && (!current || current.words.length === 0)) {
        const w = word.literal;
        if (w === "esac" && open) {
          this.cases.pop();
          finish();
          atStart = false;
          continue;
        }
        if (w !== undefined && reserved.has(w)) continue;
        if (w === "[[") {
          dbracket = true;
          current = { words: [], redirects: [], form: "kept", pipeline: this.pipeline };
          continue;
        }
        if (w === "for" || w === "select") {
          const name = this.token(false);
          forName = name.t === "word" ? name.word.literal : undefined;
          forList = { words: [], redirects: [], form: "list", pipeline: this.pipeline };
          continue;
        }
        if (w === "case") {
          const subject = this.token(false);
          if (subject.t === "word")
            this.commands.push({
              words: [subject.word],
              redirects: [],
              form: "kept",
              pipeline: this.pipeline,
            });
          const word_in = this.token(false);
          if (!(word_in.t === "word" && word_in.word.literal === "in")) this.unread = word_in;
          this.cases.push({ patterns: true });
          continue;
        }
        if (w === "function") {
          this.token(false); // the function's name
          continue;
        }
        if (word.assigns !== undefined) {
          command().words.push(word);
          continue;
        }
        command().words.push(word);
        atStart = false;
        continue;
      }
      command().words.push(word);
      atStart = false;
    }
    if (forList) {
      this.commands.push(forList);
      this.assignFromList(forName!, forList);
    }
    if (current) this.commands.push(current);
    return { events: this.classify(), end: this.pos };
  }

  private readonly assignments: { after: Command; event: ShellAssignment }[] = [];

  private assignFromList(name: string, list: Command): void {
    const words = list.words.filter((w, i) => !(i === 0 && w.literal === "in"));
    const from = words.flatMap((w) => namesOf(w));
    if (words.length === 0) return;
    this.assignments.push({
      after: list,
      event: { kind: "assignment", name, from, start: words[0]!.start, end: words.at(-1)!.end },
    });
  }

  private unread: Token | undefined;

  // ------------------------------------------------------------------ tokens

  private token(atStart: boolean): Token {
    if (this.unread) {
      const t = this.unread;
      this.unread = undefined;
      return t;
    }
    const text = this.text;
    for (;;) {
      if (this.pos >= text.length) return { t: "end" };
      const c = text[this.pos]!;
      if (c === " " || c === "\t" || c === "\r") {
        this.pos++;
        continue;
      }
      if (c === "\\" && text[this.pos + 1] === "\n") {
        this.pos += 2;
        continue;
      }
      if (c === "#") {
        const end = text.indexOf("\n", this.pos);
        this.pos = end < 0 ? text.length : end;
        continue;
      }
      if (c === "\n") {
        const start = this.pos++;
        if (this.pending.length > 0) this.heredocs();
        return { t: "op", op: "\n", start };
      }
      const start = this.pos;
      if (atStart && text.startsWith("((", this.pos)) {
        const end = matchingParens(text, this.pos + 2);
        const names = arithmeticNames(text, this.pos + 2, end);
        this.pos = Math.min(text.length, end + 2);
        return { t: "arith", names };
      }
      if (c === "&" && text[this.pos + 1] === ">") {
        this.pos += text[this.pos + 2] === ">" ? 3 : 2;
        return { t: "redir", op: ">", start };
      }
      const three = text.slice(this.pos, this.pos + 3);
      const two = text.slice(this.pos, this.pos + 2);
      if (three === ";;&") {
        this.pos += 3;
        return { t: "op", op: three, start };
      }
      if (two === "&&" || two === "||" || two === ";;" || two === ";&" || two === "|&") {
        this.pos += 2;
        return { t: "op", op: two, start };
      }
      if (c === ";" || c === "&" || c === "|" || c === "(" || c === ")") {
        this.pos++;
        return { t: "op", op: c, start };
      }
      if (c === "<" || c === ">" || /[0-9]/.test(c)) {
        const redir = /^[0-9]*(<<<|<<-|<<|<>|<&|>&|>>|>\||<|>)/.exec(text.slice(this.pos));
        if (redir && (c === "<" || c === ">" || redir[0].length > redir[1]!.length)) {
          this.pos += redir[0].length;
          return { t: "redir", op: redir[1]!, start };
        }
      }
      return { t: "word", word: this.word() };
    }
  }

  /** The here-documents pending at a newline: their bodies, read line by line. */
  private heredocs(): void {
    const text = this.text;
    for (const doc of this.pending.splice(0)) {
      const body = { expansions: [] as Expansion[], inner: [] as ShellEvent[] };
      doc.redirect.body = body;
      while (this.pos < text.length) {
        const end = text.indexOf("\n", this.pos);
        const lineEnd = end < 0 ? text.length : end;
        const line = text.slice(this.pos, lineEnd);
        if ((doc.stripTabs ? line.replace(/^\t+/, "") : line) === doc.delimiter) {
          this.pos = end < 0 ? text.length : end + 1;
          break;
        }
        if (doc.expands) {
          const saved = this.pos;
          // Expansions in a here-document are not split: read them as inside "…".
          const w = this.quotedText(lineEnd);
          body.expansions.push(...w.expansions);
          body.inner.push(...w.inner);
          this.pos = saved;
        }
        this.pos = end < 0 ? text.length : end + 1;
      }
    }
  }

  /** Text up to `stop` read as inside double quotes (a here-document's line). */
  private quotedText(stop: number): Word {
    const w = emptyWord(this.pos);
    while (this.pos < stop) {
      const c = this.text[this.pos]!;
      if (c === "\\") {
        this.pos += 2;
        continue;
      }
      if (c === "$") {
        this.dollar(w, true);
        continue;
      }
      if (c === "`") {
        this.backquote(w, true);
        continue;
      }
      this.pos++;
    }
    return w;
  }

  private word(): Word {
    const text = this.text;
    const w = emptyWord(this.pos);
    let plain = true;
    const lit = (ch: string, at: number) => {
      w.value += ch;
      w.positions.push(at);
    };
    while (this.pos < text.length) {
      const c = text[this.pos]!;
      if (metachar.test(c)) break;
      if (c === "\\") {
        if (text[this.pos + 1] === "\n") {
          this.pos += 2;
          continue;
        }
        if (this.pos + 1 < text.length) lit(text[this.pos + 1]!, this.pos + 1);
        this.pos += 2;
        continue;
      }
      if (c === "'") {
        const end = text.indexOf("'", this.pos + 1);
        const stop = end < 0 ? text.length : end;
        for (let i = this.pos + 1; i < stop; i++) lit(text[i]!, i);
        this.pos = stop + 1;
        continue;
      }
      if (c === '"') {
        this.pos++;
        while (this.pos < text.length && text[this.pos] !== '"') {
          const d = text[this.pos]!;
          if (d === "\\") {
            const next = text[this.pos + 1];
            if (next === "$" || next === "`" || next === '"' || next === "\\") {
              lit(next, this.pos + 1);
              this.pos += 2;
            } else if (next === "\n") this.pos += 2;
            else {
              lit(d, this.pos);
              this.pos++;
            }
            continue;
          }
          if (d === "$") {
            const at = this.pos;
            if (this.dollar(w, true)) {
              plain = false;
              lit(MASK, at);
            } else {
              lit(d, this.pos);
              this.pos++;
            }
            continue;
          }
          if (d === "`") {
            lit(MASK, this.pos);
            this.backquote(w, true);
            plain = false;
            continue;
          }
          if (d === MASK) plain = false;
          lit(d, this.pos);
          this.pos++;
        }
        this.pos++;
        continue;
      }
      if (c === "$" && text[this.pos + 1] === "'") {
        // $'…': C escapes; its value is not worked out.
        plain = false;
        w.ansi = true;
        let i = this.pos + 2;
        while (i < text.length && text[i] !== "'") i += text[i] === "\\" ? 2 : 1;
        this.pos = i + 1;
        continue;
      }
      if (c === "$") {
        const at = this.pos;
        if (this.dollar(w, false)) {
          plain = false;
          lit(MASK, at);
        } else {
          lit(c, this.pos);
          this.pos++;
        }
        continue;
      }
      if (c === "`") {
        lit(MASK, this.pos);
        this.backquote(w, false);
        plain = false;
        continue;
      }
      if (c === MASK) plain = false;
      lit(c, this.pos);
      this.pos++;
    }
    w.end = this.pos;
    if (plain) w.literal = w.value;
    const assign = /^([A-Za-z_][A-Za-z0-9_]*)\+?=/.exec(text.slice(w.start, w.end));
    if (assign) w.assigns = assign[1]!;
    return w;
  }

  /** A `$…` at pos: an expansion, a substitution or arithmetic; false for a plain `$`. */
  private dollar(w: Word, quoted: boolean): boolean {
    const text = this.text;
    const start = this.pos;
    const next = text[start + 1];
    if (next === "(" && text[start + 2] === "(") {
      const end = matchingParens(text, start + 3);
      w.arithmetic.push(...arithmeticNames(text, start + 3, end));
      this.pos = Math.min(text.length, end + 2);
      return true;
    }
    if (next === "(") {
      const inner = new Reader(text, start + 2, true).script();
      w.inner.push(...inner.events);
      this.pos = inner.end;
      return true;
    }
    if (next === "{") {
      const end = matchingBrace(text, start + 2);
      const body = text.slice(start + 2, end);
      this.pos = Math.min(text.length, end + 1);
      const m = /^(#|!)?([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!-])(.*)$/s.exec(body);
      if (!m) return true;
      const [, prefix, name, rest] = m;
      // ${#X} is a length, ${!X} another variable's value; ${X:+word} prints only the word.
      if (!prefix && nameStart.test(name![0]!) && !/^:?\+/.test(rest!))
        w.expansions.push({ name: name!, start, end: this.pos, quoted });
      const offset = start + 2 + (prefix?.length ?? 0) + name!.length;
      for (const m2 of rest!.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) {
        const at = offset + m2.index;
        w.expansions.push({ name: m2[1]!, start: at, end: at + m2[0].length, quoted });
      }
      return true;
    }
    if (next !== undefined && nameStart.test(next)) {
      let i = start + 2;
      while (i < text.length && nameChar.test(text[i]!)) i++;
      w.expansions.push({ name: text.slice(start + 1, i), start, end: i, quoted });
      this.pos = i;
      return true;
    }
    if (next !== undefined && /[0-9@*#?$!-]/.test(next)) {
      this.pos = start + 2;
      return true;
    }
    return false;
  }

  /** A `…` substitution at pos: its text unescaped, read as a script of its own. */
  private backquote(w: Word, quoted: boolean): void {
    const text = this.text;
    let unescaped = "";
    const positions: number[] = [];
    let i = this.pos + 1;
    while (i < text.length && text[i] !== "`") {
      if (
        text[i] === "\\" &&
        (text[i + 1] === "`" ||
          text[i + 1] === "\\" ||
          text[i + 1] === "$" ||
          (quoted && text[i + 1] === '"'))
      ) {
        unescaped += text[i + 1];
        positions.push(i + 1);
        i += 2;
        continue;
      }
      unescaped += text[i];
      positions.push(i);
      i++;
    }
    this.pos = i + 1;
    const events = new Reader(unescaped, 0, false).script().events;
    w.inner.push(...events.map((e) => moved(e, positions, i)));
  }

  // ------------------------------------------------------------------ classification

  private classify(): ShellEvent[] {
    const events: ShellEvent[] = [];
    const pipelines = new Map<number, Command[]>();
    for (const c of this.commands) {
      const list = pipelines.get(c.pipeline) ?? [];
      list.push(c);
      pipelines.set(c.pipeline, list);
    }
    for (const commands of pipelines.values()) {
      // `echo "$X" | sh`: what the commands before a shell in a pipeline print, it runs.
      let shellAt = -1;
      let shell = "";
      commands.forEach((c, i) => {
        const reads = readsStdin(c);
        if (i > 0 && reads && !c.redirects.some((r) => /^(<|<<|<<-|<<<)$/.test(r.op))) {
          shellAt = i;
          shell = reads;
        }
      });
      commands.forEach((c, i) => {
        const list: ShellEvent[] = [];
        classifyCommand(c, list);
        events.push(
          ...(i < shellAt ? list.map((e) => promote(e, "stdin", `a pipe into ${shell}`)) : list),
        );
        for (const a of this.assignments) if (a.after === c) events.push(a.event);
      });
    }
    return events.sort((a, b) => a.start - b.start);
  }
}

function emptyWord(start: number): Word {
  return {
    start,
    end: start,
    value: "",
    positions: [],
    expansions: [],
    inner: [],
    arithmetic: [],
  };
}

/** The variables a word's value contains (through substitutions too). */
function namesOf(w: Word): string[] {
  return [
    ...w.expansions.map((e) => e.name),
    ...w.inner.flatMap((e) => (e.kind === "expansion" ? [e.name] : [])),
  ];
}

function moved(e: ShellEvent, positions: number[], fallback: number): ShellEvent {
  const at = (i: number) => positions[i] ?? fallback;
  return { ...e, start: at(e.start), end: at(Math.max(e.start, e.end - 1)) + 1 };
}

function promote(e: ShellEvent, role: ShellRole, via: string): ShellEvent {
  if (e.kind !== "expansion" || (e.role !== "kept" && e.role !== "split")) return e;
  return { ...e, role, via };
}

/** Index of the ")" of "))" closing arithmetic that starts at `from`. */
function matchingParens(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === "(") depth++;
    else if (c === ")") {
      if (depth === 0 && text[i + 1] === ")") return i;
      if (depth > 0) depth--;
    }
  }
  return text.length;
}

/** Index of the "}" closing a ${ that starts at `from` (quotes and nested ${ } skipped). */
function matchingBrace(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === "\\") i++;
    else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      i = end < 0 ? text.length : end;
    } else if (c === "{") depth++;
    else if (c === "}") {
      if (depth === 0) return i;
      depth--;
    }
  }
  return text.length;
}

/** Every name in arithmetic text: bare names are variables too, evaluated as arithmetic. */
function arithmeticNames(text: string, from: number, to: number): Expansion[] {
  const out: Expansion[] = [];
  for (const m of text.slice(from, to).matchAll(/\$?\{?([A-Za-z_][A-Za-z0-9_]*)/g)) {
    const start = from + m.index;
    out.push({ name: m[1]!, start, end: start + m[0].length, quoted: false });
  }
  return out;
}

function basename(s: string | undefined): string | undefined {
  return s?.split("/").pop();
}

/** The shell a command is, when it reads its script from standard input. */
function readsStdin(c: Command): string | undefined {
  if (c.form !== "simple") return undefined;
  const at = commandIndex(c.words);
  const name = basename(c.words[at]?.literal);
  if (name === undefined || !shells.has(name)) return undefined;
  const options = shellOptions(c.words, at + 1);
  return options.script === undefined && (options.stdin || options.operand === undefined)
    ? name
    : undefined;
}

/** Index of the word that names the command: past assignments and wrappers. */
function commandIndex(words: Word[]): number {
  let i = 0;
  while (i < words.length && words[i]!.assigns !== undefined) i++;
  for (;;) {
    const name = basename(words[i]?.literal);
    if (name === undefined || !wrappers.has(name)) return i;
    i++;
    let operands = name === "timeout" ? 1 : 0;
    while (i < words.length) {
      const w = words[i]!.literal;
      if (w === "--") {
        i++;
        break;
      }
      if (w?.startsWith("-")) {
        i += optionsWithValue.has(w) ? 2 : 1;
        continue;
      }
      if (name === "env" && words[i]!.assigns !== undefined) {
        i++;
        continue;
      }
      if (operands > 0) {
        operands--;
        i++;
        continue;
      }
      break;
    }
  }
}

/** A shell's options from word `from`: the -c script's index, -s, and its first operand. */
function shellOptions(
  words: Word[],
  from: number,
): { script?: number; stdin: boolean; operand?: number } {
  let flagC = false;
  let stdin = false;
  let i = from;
  while (i < words.length) {
    const w = words[i]!.literal;
    if (w === undefined) break;
    if (w === "--" || w === "-") {
      i++;
      break;
    }
    if (/^[-+][A-Za-z]+$/.test(w)) {
      if (w.startsWith("-") && w.includes("c")) flagC = true;
      if (w.startsWith("-") && w.includes("s")) stdin = true;
      i += w.includes("o") ? 2 : 1;
      continue;
    }
    if (w.startsWith("--")) {
      i += w === "--rcfile" || w === "--init-file" ? 2 : 1;
      continue;
    }
    break;
  }
  if (i >= words.length) return { stdin };
  return flagC ? { script: i, stdin } : { stdin, operand: i };
}

function expansionsOf(w: Word, role: ShellRole, via: string, split?: ShellRole): ShellEvent[] {
  return [
    ...w.expansions.map(
      (e): ShellEvent => ({
        kind: "expansion",
        name: e.name,
        start: e.start,
        end: e.end,
        role: split && !e.quoted ? split : role,
        via,
      }),
    ),
    ...w.arithmetic.map(
      (e): ShellEvent => ({
        kind: "expansion",
        name: e.name,
        start: e.start,
        end: e.end,
        role: "arithmetic",
        via: "arithmetic",
      }),
    ),
  ];
}

/** A word as an argument: its expansions split when unquoted, its substitutions as they are. */
function argument(w: Word, list: ShellEvent[], via = "an argument"): void {
  list.push(...expansionsOf(w, "kept", via, "split"), ...w.inner);
}

/** A word read as code: every expansion in it, substitutions included, takes `role`. */
function code(w: Word, role: ShellRole, via: string, list: ShellEvent[]): void {
  list.push(...expansionsOf(w, role, via));
  list.push(...w.inner.map((e) => promote(e, role, via)));
}

/**
 * Words whose text is read again as a script, joined by spaces as `eval` joins its
 * arguments: `sh -c 'eval "$X"'` evaluates X, `eval 'echo $X'` splits it.
 */
function reread(words: Word[], list: ShellEvent[]): void {
  if (words.length === 0 || words.some((w) => w.ansi)) return;
  let text = "";
  const positions: number[] = [];
  for (const w of words) {
    if (text) {
      text += " ";
      positions.push(w.start);
    }
    text += w.value;
    positions.push(...w.positions);
  }
  list.push(...readShell(text).map((e) => moved(e, positions, words.at(-1)!.end)));
}

function classifyCommand(c: Command, list: ShellEvent[]): void {
  if (c.arithmetic)
    for (const e of c.arithmetic)
      list.push({ kind: "expansion", ...e, role: "arithmetic", via: "(( … ))" });
  const stdin = readsStdin(c);
  for (const r of c.redirects) {
    if (r.body) {
      const role: ShellRole = stdin ? "stdin" : "kept";
      const via = stdin ? `a here-document read by ${stdin}` : "a here-document";
      for (const e of r.body.expansions) list.push({ kind: "expansion", ...e, role, via });
      list.push(...r.body.inner.map((e) => (stdin ? promote(e, "stdin", via) : e)));
    } else if (r.word) {
      if (r.op === "<<<") {
        if (stdin) code(r.word, "stdin", `a here-string read by ${stdin}`, list);
        else list.push(...expansionsOf(r.word, "kept", "a here-string"), ...r.word.inner);
      } else argument(r.word, list, "a redirection");
    }
  }
  if (c.form === "kept") {
    for (const w of c.words) list.push(...expansionsOf(w, "kept", "a value"), ...w.inner);
    return;
  }
  if (c.form === "list") {
    for (const w of c.words) argument(w, list, "a for list");
    return;
  }
  const words = c.words;
  const at = commandIndex(words);
  for (let i = 0; i < Math.min(at, words.length); i++) {
    const w = words[i]!;
    if (w.assigns !== undefined) assignment(w, list);
    else argument(w, list);
  }
  const head = words[at];
  if (!head) return;
  list.push(...expansionsOf(head, "command", "the command name"), ...head.inner);
  const name = basename(head.literal);
  const args = words.slice(at + 1);
  if (name === "eval") {
    for (const w of args) code(w, "eval", "eval", list);
    reread(args, list);
    return;
  }
  if (name === "let") {
    for (const w of args) {
      list.push(...w.inner);
      list.push(
        ...arithmeticNames(w.value, 0, w.value.length).map(
          (e): ShellEvent => ({
            kind: "expansion",
            name: e.name,
            start: w.positions[e.start] ?? w.start,
            end: (w.positions[e.end - 1] ?? w.start) + 1,
            role: "arithmetic",
            via: "let",
          }),
        ),
        ...expansionsOf(w, "arithmetic", "let"),
      );
    }
    return;
  }
  if (name !== undefined && declarations.has(name)) {
    for (const w of args) {
      if (w.assigns !== undefined) assignment(w, list);
      else list.push(...expansionsOf(w, "kept", name), ...w.inner);
    }
    return;
  }
  if (name !== undefined && shells.has(name)) {
    const options = shellOptions(words, at + 1);
    for (let i = at + 1; i < words.length; i++) {
      const w = words[i]!;
      if (i === options.script) {
        code(w, "script", `${name} -c`, list);
        reread([w], list);
      } else argument(w, list);
    }
    return;
  }
  // `find … -exec sh -c SCRIPT`, `xargs sh -c SCRIPT`: a shell named among the arguments.
  for (let i = 0; i < args.length; i++) {
    const shell = basename(args[i]!.literal);
    const flag = args[i + 1]?.literal;
    if (shell && shells.has(shell) && flag && /^-[A-Za-z]*c[A-Za-z]*$/.test(flag) && args[i + 2]) {
      argument(args[i]!, list);
      argument(args[i + 1]!, list);
      code(args[i + 2]!, "script", `${shell} -c`, list);
      reread([args[i + 2]!], list);
      i += 2;
      continue;
    }
    argument(args[i]!, list);
  }
}

function assignment(w: Word, list: ShellEvent[]): void {
  list.push(...expansionsOf(w, "kept", "an assignment"), ...w.inner);
  list.push({
    kind: "assignment",
    name: w.assigns!,
    from: namesOf(w),
    start: w.start,
    end: w.end,
  });
}
