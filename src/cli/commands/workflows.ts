// aegis workflows: what a server has deployed (one line each), or one workflow's versions.
import type { WorkflowDetail, WorkflowList } from "../../api/workflows.ts";
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import type { Io } from "../io.ts";
import { jsonSafe, textTable } from "../progress.ts";
import { remoteOf, serverOption } from "../remote.ts";

const formats = ["text", "json"];

export async function workflowsCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("workflows", {
    args,
    allowPositionals: true,
    options: { ...serverOption, format: { type: "string", default: "text" } },
  });
  if (!formats.includes(values.format!)) {
    throw new UsageError(`unknown format '${values.format}' (${formats.join(", ")})`);
  }
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
  const remote = remoteOf(values, "workflows", true)!;
  const json = values.format === "json";
  if (positionals.length === 1) {
    const name = positionals[0]!;
    const { body } = await remote.request<WorkflowDetail>(
      "GET",
      `/v1/workflows/${encodeURIComponent(name)}`,
    );
    if (json) {
      io.stdout(`${jsonSafe(body, 2)}\n`);
      return 0;
    }
    const rows = body.versions.map((v) => [
      `${v.current ? "* " : "  "}${v.version.slice(0, 12)}`,
      v.declaredVersion ?? "-",
      String(v.runs),
      v.deployedAt,
    ]);
    io.stdout(textTable(["  VERSION", "DECLARED", "RUNS", "DEPLOYED"], rows));
    return 0;
  }
  const { body } = await remote.request<WorkflowList>("GET", "/v1/workflows");
  if (json) {
    io.stdout(`${jsonSafe(body.workflows, 2)}\n`);
    return 0;
  }
  if (body.workflows.length === 0) {
    io.stdout(`no workflows deployed at ${remote.url}\n`);
    return 0;
  }
  const rows = body.workflows.map((w) => [
    w.name,
    w.version.slice(0, 12),
    w.declaredVersion ?? "-",
    String(w.versions),
    w.deployedAt,
  ]);
  io.stdout(textTable(["NAME", "VERSION", "DECLARED", "VERSIONS", "DEPLOYED"], rows));
  return 0;
}
