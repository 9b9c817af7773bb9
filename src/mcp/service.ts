// What the MCP tools need from aegis, and nothing more: the tools are written once against
// this interface, and each host passes its own implementation (the server: its registry and
// runs, in process; `aegis mcp`: a server over HTTP). Every method speaks the wire contract
// (src/api/), and refuses with a RuntimeError whose code is a problem code.
import type {
  RunDetail,
  RunSummary,
  SignalRequest,
  SignalResponse,
  StartRunRequest,
} from "../api/runs.ts";
import type { WorkflowSummary } from "../api/workflows.ts";
import type { RunRecord } from "../runtime/types.ts";

/** Who, as the MCP client says, starts a run (the server adds the authenticated user). */
export interface McpCaller {
  /** The MCP client's name/version. */
  client?: string;
  /** The agent's session (the seeds' from_handle / caller_handle). */
  session?: string;
}

export interface AegisService {
  listWorkflows(): Promise<WorkflowSummary[]>;
  runWorkflow(request: StartRunRequest, caller: McpCaller): Promise<RunSummary>;
  getRun(id: string): Promise<RunDetail>;
  /** Answers the gate the run waits at, as the authenticated principal (checked first). */
  answerGate(id: string, answer: SignalRequest): Promise<SignalResponse>;
  cancelRun(id: string, reason?: string): Promise<RunRecord>;
  /**
   * Calls `changed` whenever the run logs something, until the returned function is called.
   * Without it, waiting polls getRun.
   */
  watch?(id: string, changed: () => void): () => void;
}
