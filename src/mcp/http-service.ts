// AegisService over a server's HTTP API (for `aegis mcp`, a stdio server in front of
// `aegis serve`): every call is one request; the server validates, authorizes (the token's
// principal answers gates) and records the caller. A refusal arrives as a RuntimeError with
// the problem's code (the client's job: src/cli/remote.ts).
import type {
  RunDetail,
  RunSummary,
  SignalRequest,
  SignalResponse,
  StartRunRequest,
} from "../api/runs.ts";
import type { WorkflowList } from "../api/workflows.ts";
import type { RunRecord } from "../runtime/types.ts";
import type { AegisService } from "./service.ts";

/** A JSON client of the server (the CLI's Remote). */
export interface JsonClient {
  request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

export function httpService(client: JsonClient): AegisService {
  const run = (id: string) => `/v1/runs/${encodeURIComponent(id)}`;
  return {
    async listWorkflows() {
      return (await client.request<WorkflowList>("GET", "/v1/workflows")).body.workflows;
    },
    async runWorkflow(request: StartRunRequest, caller) {
      const body: StartRunRequest = { ...request, caller: { via: "mcp", ...caller } };
      return (await client.request<RunSummary>("POST", "/v1/runs", body)).body;
    },
    async getRun(id) {
      return (await client.request<RunDetail>("GET", run(id))).body;
    },
    async answerGate(id, answer: SignalRequest) {
      return (await client.request<SignalResponse>("POST", `${run(id)}/signal`, answer)).body;
    },
    async cancelRun(id, reason) {
      const body = reason === undefined ? {} : { reason };
      return (await client.request<RunRecord>("POST", `${run(id)}/cancel`, body)).body;
    },
  };
}
