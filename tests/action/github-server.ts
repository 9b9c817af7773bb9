// A local stand-in for the GitHub REST API: answers the calls the action makes and
// records them. Comments, permissions, pull requests and git refs are plain data the
// tests set up and inspect.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface StoredComment {
  id: number;
  issue: number;
  body: string;
  user: { login: string; type: string };
}

export interface Recorded {
  method: string;
  path: string;
  body?: unknown;
}

export class FakeGitHub {
  comments: StoredComment[] = [];
  /** login → role_name ("admin", "maintain", "write", "triage", "read"). */
  roles: Record<string, string> = {};
  /** Collaborators (GET /collaborators/{u} answers 204); default: everyone with a role. */
  collaborators?: Set<string>;
  teams: Record<string, string[]> = {};
  pulls: Record<number, { headSha: string; author: string }> = {};
  refs = new Map<string, string>();
  requests: Recorded[] = [];
  /** GET /user: a GITHUB_TOKEN cannot read it. */
  viewer?: string;
  /** Holds ref creations until this many have arrived (to make two claims race). */
  refBarrier = 0;
  private held: (() => void)[] = [];
  private nextId = 1000;
  private server?: Server;
  url = "";

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let text = "";
      req.on("data", (chunk) => (text += chunk));
      req.on("end", () => {
        const body = text ? JSON.parse(text) : undefined;
        this.requests.push({ method: req.method ?? "", path: req.url ?? "", body });
        try {
          this.route(req, res, body);
        } catch (error) {
          send(res, 500, { message: String(error) });
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** Adds a comment as someone. */
  comment(issue: number, body: string, login = "github-actions[bot]", type = "Bot"): StoredComment {
    const c = { id: this.nextId++, issue, body, user: { login, type } };
    this.comments.push(c);
    return c;
  }

  /** The bot's comments that carry a state. */
  stateComments(): StoredComment[] {
    return this.comments.filter((c) => c.body.includes("<!-- aegis-state:"));
  }

  // biome-ignore lint/suspicious/noExplicitAny: request bodies are whatever the client sent
  private route(req: IncomingMessage, res: ServerResponse, body: any) {
    const url = new URL(req.url ?? "/", "http://x");
    const p = url.pathname;
    const m = req.method;
    let match: RegExpExecArray | null;
    if (m === "GET" && p === "/user") {
      if (this.viewer) return send(res, 200, { login: this.viewer, type: "User" });
      return send(res, 403, { message: "Resource not accessible by integration" });
    }
    match = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/.exec(p);
    if (match) {
      const issue = Number(match[1]);
      if (m === "GET") {
        const page = Number(url.searchParams.get("page") ?? "1");
        const per = Number(url.searchParams.get("per_page") ?? "30");
        const all = this.comments.filter((c) => c.issue === issue);
        return send(res, 200, all.slice((page - 1) * per, page * per));
      }
      if (m === "POST") return send(res, 201, this.comment(issue, body.body));
    }
    match = /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(p);
    if (match && m === "PATCH") {
      const c = this.comments.find((c) => c.id === Number(match![1]));
      if (!c) return send(res, 404, { message: "Not Found" });
      c.body = body.body;
      return send(res, 200, c);
    }
    if (/^\/repos\/[^/]+\/[^/]+\/issues\/comments\/\d+\/reactions$/.test(p) && m === "POST")
      return send(res, 201, { id: 1, content: body.content });
    match = /^\/repos\/[^/]+\/[^/]+\/collaborators\/([^/]+)\/permission$/.exec(p);
    if (match) {
      const login = decodeURIComponent(match[1]!);
      const role = this.roles[login];
      if (!role) return send(res, 404, { message: "Not Found" });
      const permission = role === "maintain" ? "write" : role === "triage" ? "read" : role;
      return send(res, 200, { permission, role_name: role, user: { login } });
    }
    match = /^\/repos\/[^/]+\/[^/]+\/collaborators\/([^/]+)$/.exec(p);
    if (match) {
      const login = decodeURIComponent(match[1]!);
      const yes = this.collaborators ? this.collaborators.has(login) : login in this.roles;
      return yes ? send(res, 204) : send(res, 404, { message: "Not Found" });
    }
    match = /^\/orgs\/([^/]+)\/teams\/([^/]+)\/memberships\/([^/]+)$/.exec(p);
    if (match) {
      const members = this.teams[`${match[1]}/${match[2]}`] ?? [];
      return members.includes(decodeURIComponent(match[3]!))
        ? send(res, 200, { state: "active", role: "member" })
        : send(res, 404, { message: "Not Found" });
    }
    match = /^\/repos\/[^/]+\/[^/]+\/pulls\/(\d+)$/.exec(p);
    if (match && m === "GET") {
      const pull = this.pulls[Number(match[1])];
      if (!pull) return send(res, 404, { message: "Not Found" });
      return send(res, 200, {
        number: Number(match[1]),
        head: { sha: pull.headSha },
        user: { login: pull.author },
      });
    }
    if (/^\/repos\/[^/]+\/[^/]+\/git\/refs$/.test(p) && m === "POST") {
      if (this.refBarrier > 1) {
        this.held.push(() => this.createRef(res, body as { ref: string; sha: string }));
        if (this.held.length >= this.refBarrier) {
          this.refBarrier = 0;
          for (const go of this.held.splice(0)) go();
        }
        return;
      }
      return this.createRef(res, body);
    }
    send(res, 404, { message: `Not Found: ${m} ${p}` });
  }

  private createRef(res: ServerResponse, body: { ref: string; sha: string }) {
    if (this.refs.has(body.ref)) return send(res, 422, { message: "Reference already exists" });
    this.refs.set(body.ref, body.sha);
    send(res, 201, { ref: body.ref, object: { sha: body.sha, type: "commit" } });
  }
}

function send(res: ServerResponse, status: number, body?: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(body === undefined ? "" : JSON.stringify(body));
}
