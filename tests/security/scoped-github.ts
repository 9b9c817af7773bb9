// A proxy in front of the fake GitHub API (tests/action/github-server.ts) that enforces a
// token's permissions as GitHub does for a GITHUB_TOKEN: each call needs one permission
// (comments on a pull request need pull-requests, on an issue issues; reading a pull
// request needs pull-requests: read; git objects and refs need contents). A call without it
// is answered 403 "Resource not accessible by integration"; an unknown token, 401 — with
// GitHub's error body.
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { FakeGitHub } from "../action/github-server.ts";

export type Permissions = Record<string, "read" | "write">;

export class ScopedGitHub {
  /** token → its permissions. */
  tokens: Record<string, Permissions> = {};
  /** What each refused call needed, in order. */
  refused: string[] = [];
  url = "";
  private server?: Server;
  private readonly fake: FakeGitHub;
  constructor(fake: FakeGitHub) {
    this.fake = fake;
  }

  /** The permission a call needs ("" when metadata, which every token has, suffices). */
  private needed(method: string, path: string): string {
    const pullOrIssue = (issue: number) => (issue in this.fake.pulls ? "pull-requests" : "issues");
    let m = /\/issues\/(\d+)\/comments$/.exec(path);
    if (m) return `${pullOrIssue(Number(m[1]))}:${method === "GET" ? "read" : "write"}`;
    m = /\/issues\/comments\/(\d+)(\/reactions)?$/.exec(path);
    if (m) {
      const comment = this.fake.comments.find((c) => c.id === Number(m![1]));
      const level = method === "GET" && !m[2] ? "read" : "write";
      return `${pullOrIssue(comment?.issue ?? 0)}:${level}`;
    }
    if (/\/pulls\/\d+$/.test(path)) return "pull-requests:read";
    if (/\/git\/(refs|ref|blobs|trees|commits)(\/|$)/.test(path))
      return `contents:${method === "GET" ? "read" : "write"}`;
    if (/^\/orgs\/[^/]+\/teams\//.test(path)) return "members:read";
    return "";
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const token = /^(?:token|bearer) (.+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? "";
      const permissions = this.tokens[token];
      const path = new URL(req.url ?? "/", "http://x").pathname;
      const deny = (status: number, message: string) => {
        req.resume();
        res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
        const documentation_url = "https://docs.github.com/rest";
        res.end(JSON.stringify({ message, documentation_url, status: String(status) }));
      };
      if (!permissions) return deny(401, "Bad credentials");
      const need = this.needed(req.method ?? "GET", path);
      if (need) {
        const [scope, level] = need.split(":");
        const has = permissions[scope!];
        if (!has || (level === "write" && has !== "write")) {
          this.refused.push(need);
          return deny(403, "Resource not accessible by integration");
        }
      }
      const upstream = request(
        `${this.fake.url}${req.url}`,
        { method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
