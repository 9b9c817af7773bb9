// AgentOS workflows on the command line, run end to end with local agents that log their
// prompts (examples/agents/*.js, $AEGIS_AGENT_LOG): `aegis run --agent NAME=INSTANCE` binds
// an agent for the run as AgentOS's CLI does — to a provider or an entry of the agents file
// — with the agents file's checks before the run starts; each step runs the agent it names;
// a step's config reaches the program bound to its function ($AEGIS_OPTIONS); sandbox:
// docker runs its command in a container (a fake docker client records it).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { corpusDir } from "../../helpers/corpus.ts";
import { aegis, json, ROOT, tempDir } from "./helpers.ts";

const AGENTS = join(ROOT, "examples/agents");
const node = (script: string, ...args: string[]) =>
  `command:node ${join(AGENTS, script)}${args.map((a) => ` ${a}`).join("")}`;

interface Logged {
  agent: string;
  state: string;
  prompt: string;
  options?: Record<string, unknown>;
}

function logged(file: string): Logged[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Logged);
}

/** A team workflow whose steps name their agents, a hand, and a sandboxed deploy. */
const team = `id: team-build
name: Team Build
agents:
  - architect
  - coder
  - code-reviewer
steps:
  - name: Spec
    functionId: "agent::chat"
    agent: architect
    promptTemplate: "Write requirements for: {{feature}}"
    mode: sequential
    errorMode: fail
    outputVar: spec
  - name: Research
    functionId: "hand::run"
    mode: sequential
    errorMode: fail
    config:
      handId: researcher
      input:
        topic: "{{feature}}"
    outputVar: research
  - name: Implement
    functionId: "agent::chat"
    config: { agentId: coder }
    promptTemplate: "Implement this. Fix this first: {{spec}}"
    mode: sequential
    errorMode: fail
    outputVar: implementation
  - name: Review
    functionId: "agent::chat"
    agent: code-reviewer
    promptTemplate: "Review this implementation: {{implementation}}"
    mode: sequential
    errorMode: fail
    outputVar: review
  - name: Deploy
    functionId: "tool::shell_exec"
    mode: sequential
    approval: sync
    sandbox: docker
    config:
      argv: ["make", "deploy", "FEATURE={{feature}}"]
    outputVar: deployed
`;

describe("aegis run --agent NAME=INSTANCE", () => {
  if (corpusDir) {
    const corpus = corpusDir;
    it("runs a corpus workflow (AgentOS's feature-build) end to end with a local agent", () => {
      const dir = tempDir();
      const log = join(dir, "agents.log");
      const r = aegis(
        dir,
        [
          "run",
          join(corpus, "agentos/feature-build.yaml"),
          "--param",
          "feature_description=a word counter",
          "--agent",
          `chat=${node("chat.js")}`,
          "--id",
          "fb",
        ],
        { AEGIS_AGENT_LOG: log },
      );
      expect(r.stderr).toContain("warning[AEG711]");
      expect(r.status).toBe(0);
      expect(r.stdout).toContain("run fb succeeded");
      const calls = logged(log);
      // Its steps name no agent: each is run by chat, which the run bound.
      expect(calls.map((c) => [c.agent, c.state])).toEqual([
        ["chat", "SPEC"],
        ["chat", "IMPLEMENT"],
        ["chat", "REVIEW"],
        ["chat", "MERGE"],
      ]);
      expect(calls[0]!.prompt).toContain("Design the feature: a word counter.");
      // Each output variable reaches the next prompt; the review says LGTM, ending its loop.
      expect(calls[1]!.prompt).toContain("based on this spec: chat did: Design the feature:.");
      expect(calls[2]!.prompt).toContain("Review this implementation: chat did: Implement");
      expect(calls[3]!.prompt).toContain("Review result: LGTM. chat did: Review");
      const status = json(aegis(dir, ["status", "fb", "--json"]).stdout) as {
        status: string;
        output: Record<string, string>;
      };
      expect(status.status).toBe("succeeded");
      expect(Object.keys(status.output)).toEqual([
        "tech_spec",
        "implementation",
        "review_result",
        "merge_status",
      ]);
    });
  }

  it("binds each agent the steps name, keeps the bindings for signal, and sandboxes the deploy", () => {
    const dir = tempDir();
    const log = join(dir, "agents.log");
    const dockerLog = join(dir, "docker.log");
    writeFileSync(join(dir, "team.yaml"), team);
    // The agents file gives coder a program that fails; --agent coder=… wins over it.
    writeFileSync(
      join(dir, "agents.json"),
      JSON.stringify({ agents: { coder: { provider: "command", command: "false" } } }),
    );
    const env = {
      AEGIS_AGENT_LOG: log,
      AEGIS_CONTAINER_RUNTIME: join(ROOT, "tests/fixtures/agents/bin/docker"),
      FAKE_DOCKER_LOG: dockerLog,
    };
    const ok = aegis(
      dir,
      [
        "run",
        "team.yaml",
        "--param",
        "feature=a word counter",
        "--agents",
        "agents.json",
        "--agent",
        `architect=${node("planner.js")}`,
        "--agent",
        `coder=${node("coder.js")}`,
        "--agent",
        `code-reviewer=${node("chat.js", "code-reviewer")}`,
        "--agent",
        `hand_run=${node("chat.js", "researcher")}`,
        "--id",
        "team",
      ],
      env,
    );
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain("waiting");
    const before = logged(log);
    expect(before.map((c) => [c.agent, c.state])).toEqual([
      ["planner", "SPEC"],
      ["researcher", "RESEARCH"],
      ["coder", "IMPLEMENT"],
      ["code-reviewer", "REVIEW"],
    ]);
    expect(before[0]!.prompt).toBe("Write requirements for: a word counter");
    // The hand's config reached the program bound to hand::run, its template rendered.
    expect(before[1]!.options).toEqual({
      handId: "researcher",
      input: { topic: "a word counter" },
    });
    expect(before[2]!.prompt).toContain("Fix this first: Requirements for a word counter:");
    expect(before[3]!.prompt).toContain("Review this implementation: export function solve");
    // The deploy waits for its approval; nothing ran in a container yet.
    expect(existsSync(dockerLog)).toBe(false);

    // signal continues with the run's own bindings: no --agent needed.
    const signal = aegis(dir, ["signal", "team", "--approve"], env);
    expect(signal.status).toBe(0);
    expect(signal.stdout).toContain("run team succeeded");
    const [docker] = readFileSync(dockerLog, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { args: string[] });
    expect(docker!.args.slice(0, 4)).toEqual(["run", "--rm", "--name", "aegis-team-DEPLOY-1"]);
    expect(docker!.args).toContain("--network");
    expect(docker!.args.slice(-4)).toEqual([
      "ubuntu:22.04",
      "make",
      "deploy",
      "FEATURE=a word counter",
    ]);
    expect(logged(log)).toHaveLength(4);
  });

  if (corpusDir) {
    const corpus = corpusDir;
    it("binds an agent to an entry of the agents file: an instance defined once", () => {
      const dir = tempDir();
      const log = join(dir, "agents.log");
      writeFileSync(
        join(dir, "agents.json"),
        JSON.stringify({
          agents: {
            coder: { provider: "command", command: `node ${join(AGENTS, "chat.js")} coder` },
          },
        }),
      );
      const r = aegis(
        dir,
        [
          "run",
          join(corpus, "agentos/incident-response.yaml"),
          "--agents",
          "agents.json",
          "--agent",
          "chat=coder",
        ],
        { AEGIS_AGENT_LOG: log },
      );
      expect(r.status).toBe(0);
      // The steps name no agent; chat, which runs them, is the coder defined in the file.
      expect(logged(log).map((c) => [c.agent, c.state])).toEqual([
        ["coder", "DETECT"],
        ["coder", "TRIAGE"],
        ["coder", "FIX"],
        ["coder", "VERIFY"],
      ]);
    });
  }

  it("refuses, before the run starts, a name that is no agent of the workflow, with did you mean", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "team.yaml"), team);
    const r = aegis(dir, [
      "run",
      "team.yaml",
      "--param",
      "feature=x",
      "--agent",
      "archtect=claude",
      "--agent",
      `coder=${node("coder.js")}`,
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      "aegis: error[agent-unknown]: --agent archtect=claude: agent 'archtect' (did you mean 'architect'?) is given a provider but is not an agent of workflow 'team-build'",
    );
    expect(r.stderr).not.toContain("coder=");
    expect(existsSync(join(dir, ".aegis/runs"))).toBe(false);
  });

  it("refuses an instance it does not know, a malformed binding, and an agent left unbound", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "team.yaml"), team);
    const run = (...args: string[]) =>
      aegis(dir, ["run", "team.yaml", "--param", "feature=x", ...args]);
    const unknown = run("--agent", "coder=clade");
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain(
      "error[agent-binding]: --agent coder=clade: 'clade' is neither a provider (claude, gemini, opencode, codex, command:COMMAND, openai:URL, function:NAME) nor an entry of an agents file (--agents FILE); did you mean 'claude'?",
    );
    const malformed = run("--agent", "coder");
    expect(malformed.status).toBe(2);
    expect(malformed.stderr).toContain("error[agent-binding]: --agent coder: give NAME=INSTANCE");
    const twice = run("--agent", "coder=claude", "--agent", "coder=codex");
    expect(twice.stderr).toContain(
      "error[agent-binding]: --agent coder=codex: agent 'coder' is already bound (--agent coder=claude)",
    );
    const noArgument = run("--agent", "coder=claude:opus");
    expect(noArgument.stderr).toContain("the claude provider takes no argument");
    // openai needs a model too: the same check as an agents file's entry.
    const incomplete = run(
      "--agent",
      "architect=openai:http://localhost:11434/v1",
      "--agent",
      "coder=claude",
      "--agent",
      "code-reviewer=claude",
      "--agent",
      "hand_run=claude",
    );
    expect(incomplete.status).toBe(2);
    expect(incomplete.stderr).toContain(
      "error[agent-no-provider]: workflow 'team-build' cannot start: agent 'architect' (openai) has no 'model' option",
    );
    // Unbound: the hand and the agents have nothing to run them.
    const unbound = run("--agent", "coder=claude");
    expect(unbound.status).toBe(2);
    expect(unbound.stderr).toContain("agent-no-provider");
    expect(unbound.stderr).toContain("agent 'architect' has no provider (state SPEC)");
    expect(unbound.stderr).toContain(
      "agent 'hand_run' is a function agent, and no function 'hand::run' was supplied (state RESEARCH)",
    );
    expect(existsSync(join(dir, ".aegis/runs"))).toBe(false);
  });
});
