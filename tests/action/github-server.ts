// A local stand-in for the GitHub REST API that speaks GitHub's protocol, held to GitHub's
// own description of it: the OpenAPI description of api.github.com (@octokit/openapi).
// Every request must match an operation of the description (method and path template, path
// and query parameters, the JSON body), and every answer the fake sends must have the shape
// the description gives for its status. A mismatch is a violation: recorded, answered as
// GitHub would (404 for an unknown route, 422 "Validation Failed" for a bad body), and
// thrown by stop(), so a test fails when the action makes a call GitHub does not allow.
// Comments, permissions, pull requests and git objects are plain data the tests set up and
// inspect.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import type { ErrorObject, ValidateFunction } from "ajv";
import { Ajv } from "ajv";
import addFormats from "ajv-formats";
import { GITHUB_SHA, REPOSITORY, webhookExample } from "./run-action.ts";

// ---------------------------------------------------------------- GitHub's description

/** The parts of an OpenAPI 3.0 document the fake reads. */
interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  description?: string;
  schema?: { type?: string | string[]; enum?: unknown[] };
}
interface MediaType {
  schema?: unknown;
}
interface ResponseObject {
  content?: Record<string, MediaType>;
}
interface Operation {
  parameters?: (Parameter | { $ref: string })[];
  requestBody?: { required?: boolean; content?: Record<string, MediaType> } | { $ref: string };
  responses: Record<string, ResponseObject | { $ref: string }>;
  externalDocs?: { url: string };
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
}

/** An operation of the description, where it is in the document. */
interface Route {
  method: string;
  template: string;
  segments: string[];
  /** JSON pointer to the operation object. */
  pointer: string;
  operation: Operation;
}

/** A request matched to its operation, with its path parameters (decoded). */
interface Match {
  route: Route;
  params: Record<string, string>;
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** Path parameters whose value may hold slashes (a git ref, a file path). */
const GREEDY = new Set(["{ref}", "{path}"]);

const pointerPart = (s: string) => s.replace(/~/g, "~0").replace(/\//g, "~1");

/**
 * The description and its compiled validators: parsed once per test process, on first use
 * (the document is 13 MB). The non-dereferenced document is used: Ajv follows its $refs, so
 * a schema shared by many operations is compiled once.
 */
class Description {
  readonly doc: Document;
  private readonly ajv: Ajv;
  private readonly routes: Route[] = [];
  private readonly validators = new Map<string, ValidateFunction>();

  constructor() {
    const pkg = createRequire(import.meta.url).resolve("@octokit/openapi/package.json");
    const file = join(dirname(pkg), "generated/api.github.com.json");
    this.doc = JSON.parse(readFileSync(file, "utf8")) as Document;
    const formats = new Set<string>();
    openApiToJsonSchema(this.doc, formats);
    // strict: false, as the description uses OpenAPI's own keywords (discriminator, example,
    // x-github…) which JSON Schema does not know.
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false });
    (addFormats as unknown as (ajv: Ajv) => void)(this.ajv);
    // GitHub's own formats ("repo.nwo", "timestamp"…) say nothing checkable.
    for (const format of formats)
      if (!(format in this.ajv.formats)) this.ajv.addFormat(format, true);
    this.ajv.addSchema(this.doc as object, "api");
    for (const [template, item] of Object.entries(this.doc.paths)) {
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) continue;
        this.routes.push({
          method: method.toUpperCase(),
          template,
          segments: template.split("/").slice(1),
          pointer: `#/paths/${pointerPart(template)}/${method}`,
          operation,
        });
      }
    }
  }

  /** The operation for a method and a raw (still percent-encoded) path; undefined when none. */
  match(method: string, path: string): Match | "method" | undefined {
    const segments = path.split("/").slice(1);
    const found: { route: Route; params: Record<string, string>; rank: number[] }[] = [];
    for (const route of this.routes) {
      const params = bind(route.segments, segments);
      if (!params) continue;
      // More specific first: a literal segment beats a parameter at the same place, and an
      // exact match beats a parameter that took several segments.
      const rank: number[] = route.segments.map((s) => (s.startsWith("{") ? 1 : 0));
      if (route.segments.length !== segments.length) rank.push(2);
      found.push({ route, params, rank });
    }
    if (found.length === 0) return undefined;
    const ofMethod = found.filter((f) => f.route.method === method);
    if (ofMethod.length === 0) return "method";
    ofMethod.sort((a, b) => compareRanks(a.rank, b.rank));
    return { route: ofMethod[0]!.route, params: ofMethod[0]!.params };
  }

  /** The object a local $ref points at (parameters, request bodies, responses). */
  resolve<T>(value: T | { $ref: string }): { value: T; pointer?: string } {
    if (typeof value === "object" && value !== null && "$ref" in value) {
      const pointer = value.$ref;
      let at: unknown = this.doc;
      for (const part of pointer.slice(2).split("/"))
        at = (at as Record<string, unknown>)[part.replace(/~1/g, "/").replace(/~0/g, "~")];
      return { value: at as T, pointer };
    }
    return { value };
  }

  /** Validates `data` against the schema at a JSON pointer of the document. */
  validate(pointer: string, data: unknown): string[] {
    let validator = this.validators.get(pointer);
    if (!validator) {
      const ref = `api#${pointer
        .slice(1)
        .split("/")
        .map((p) => encodeURIComponent(p))
        .join("/")}`;
      validator = this.ajv.getSchema(ref);
      if (!validator) throw new Error(`no schema at ${pointer}`);
      this.validators.set(pointer, validator);
    }
    return validator(data) ? [] : describe(validator.errors ?? []);
  }
}

let loaded: Description | undefined;

/** GitHub's REST description, loaded on first use. */
export function description(): Description {
  loaded ??= new Description();
  return loaded;
}

function bind(template: string[], path: string[]): Record<string, string> | undefined {
  const last = template.at(-1) ?? "";
  const greedy = GREEDY.has(last) && path.length > template.length;
  if (path.length !== template.length && !greedy) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < template.length; i++) {
    const t = template[i]!;
    const raw = greedy && i === template.length - 1 ? path.slice(i).join("/") : path[i]!;
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (t.startsWith("{")) {
      if (value === "") return undefined;
      params[t.slice(1, -1)] = value;
    } else if (t !== raw) return undefined;
  }
  return params;
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function describe(errors: ErrorObject[]): string[] {
  return errors.slice(0, 6).map((e) => {
    const where = e.instancePath || "(root)";
    const extra =
      e.keyword === "additionalProperties"
        ? ` (${(e.params as { additionalProperty: string }).additionalProperty})`
        : e.keyword === "enum"
          ? ` (${(e.params as { allowedValues: unknown[] }).allowedValues.join(", ")})`
          : "";
    return `${where} ${e.message}${extra}`;
  });
}

/**
 * OpenAPI 3.0's `nullable` in JSON Schema terms (null allowed, in the type and in an enum),
 * in place; collects the formats used. Examples are data, not schemas: skipped.
 */
function openApiToJsonSchema(node: unknown, formats: Set<string>): void {
  if (Array.isArray(node)) {
    for (const item of node) openApiToJsonSchema(item, formats);
    return;
  }
  if (typeof node !== "object" || node === null) return;
  const o = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(o)) {
    if (key === "example" || key === "examples") continue;
    openApiToJsonSchema(value, formats);
  }
  if (typeof o.format === "string" && (typeof o.type === "string" || Array.isArray(o.type)))
    formats.add(o.format);
  if (o.nullable !== true) return;
  delete o.nullable;
  if (typeof o.type === "string") {
    o.type = [o.type, "null"];
    if (Array.isArray(o.enum) && !o.enum.includes(null)) o.enum = [...o.enum, null];
  } else {
    const inner = { ...o };
    for (const key of Object.keys(o)) delete o[key];
    o.anyOf = [inner, { type: "null" }];
  }
}

// ---------------------------------------------------------------- GitHub's objects

export interface SimpleUser {
  login: string;
  id: number;
  node_id: string;
  avatar_url: string;
  gravatar_id: string;
  url: string;
  html_url: string;
  followers_url: string;
  following_url: string;
  gists_url: string;
  starred_url: string;
  subscriptions_url: string;
  organizations_url: string;
  repos_url: string;
  events_url: string;
  received_events_url: string;
  type: string;
  user_view_type: string;
  site_admin: boolean;
}

/** A GitHub App, as `performed_via_github_app` holds it. */
export interface App {
  id: number;
  client_id: string;
  slug: string;
  node_id: string;
  owner: SimpleUser;
  name: string;
  description: string | null;
  external_url: string;
  html_url: string;
  created_at: string;
  updated_at: string;
  permissions: Record<string, string>;
  events: string[];
}

/** An issue comment: GitHub's object, plus the issue it is on. */
export interface StoredComment {
  id: number;
  node_id: string;
  url: string;
  html_url: string;
  issue_url: string;
  body: string;
  user: SimpleUser;
  created_at: string;
  updated_at: string;
  author_association: string;
  performed_via_github_app: App | null;
  reactions: Record<string, number | string>;
  /** The issue or pull request it is on (the fake's, not a field GitHub sends). */
  issue: number;
}

export interface Recorded {
  method: string;
  path: string;
  body?: unknown;
}

export interface Pull {
  headSha: string;
  author: string;
  /** The head branch (default "changes", as in the webhook example). */
  headRef?: string;
  /** The head's repository, "owner/name": a fork's (default: the repository itself). */
  headRepo?: string;
}

type TokenKind = "github-token" | "app" | "pat";

interface Fault {
  method: string;
  path: RegExp;
  status: number;
  message: string;
  times: number;
}

const API = "https://api.github.com";
const WEB = "https://github.com";
const REST_DOCS = "https://docs.github.com/rest";

/** The ids GitHub gives these accounts; other logins get a stable made-up one. */
const KNOWN_IDS: Record<string, number> = {
  Codertocat: 21031067,
  "github-actions[bot]": 41898282,
  github: 9919,
};

function accountId(login: string): number {
  const known = KNOWN_IDS[login];
  if (known !== undefined) return known;
  let h = 0x811c9dc5; // FNV-1a: stable across runs and test orders
  for (const ch of login) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return 10_000_000 + (h % 90_000_000);
}

/** A user as GitHub's simple-user: bots ("x[bot]") are shown as their App. */
export function simpleUser(login: string, type = "User", api = API): SimpleUser {
  const id = accountId(login);
  const bot = type === "Bot";
  const url = `${api}/users/${encodeURIComponent(login)}`;
  // A "[bot]" login is an App's account, whatever type a test gives it.
  const app = /\[bot\]$/.test(login) ? login.slice(0, -5) : undefined;
  return {
    login,
    id,
    node_id: Buffer.from(bot ? `03:Bot${id}` : `04:User${id}`).toString("base64"),
    avatar_url: app
      ? `https://avatars.githubusercontent.com/in/${app === "github-actions" ? 15368 : accountId(app)}?v=4`
      : `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: "",
    url,
    html_url: app ? `${WEB}/apps/${app}` : `${WEB}/${encodeURIComponent(login)}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type,
    user_view_type: "public",
    site_admin: false,
  };
}

/**
 * The GitHub Actions App, as GitHub returns it (GET /apps/github-actions, and on the objects
 * a GITHUB_TOKEN creates: `app` of check runs, `performed_via_github_app`).
 */
export const GITHUB_ACTIONS_APP: App = {
  id: 15368,
  client_id: "Iv1.05c79e9ad1f6bdfa",
  slug: "github-actions",
  node_id: "MDM6QXBwMTUzNjg=",
  owner: { ...simpleUser("github"), type: "Organization" },
  name: "GitHub Actions",
  description: "Automate your workflow from idea to production",
  external_url: "https://help.github.com/en/actions",
  html_url: `${WEB}/apps/github-actions`,
  created_at: "2018-07-30T09:30:17Z",
  updated_at: "2026-06-18T16:17:48Z",
  permissions: {
    actions: "write",
    checks: "write",
    contents: "write",
    deployments: "write",
    discussions: "write",
    issues: "write",
    metadata: "read",
    packages: "write",
    pages: "write",
    pull_requests: "write",
    statuses: "write",
  },
  events: ["check_run", "issue_comment", "issues", "pull_request", "push", "workflow_dispatch"],
};

/** Another GitHub App, installed on the repository with the permissions the action needs. */
function installedApp(slug: string, owner: SimpleUser): App {
  if (slug === GITHUB_ACTIONS_APP.slug) return GITHUB_ACTIONS_APP;
  const id = accountId(slug);
  return {
    id,
    client_id: `Iv23li${id.toString(16).padStart(14, "0")}`,
    slug,
    node_id: Buffer.from(`03:App${id}`).toString("base64"),
    owner,
    name: slug,
    description: null,
    external_url: `${WEB}/${owner.login}`,
    html_url: `${WEB}/apps/${slug}`,
    created_at: "2025-01-01T00:00:00Z",
    updated_at: "2025-01-01T00:00:00Z",
    permissions: {
      contents: "write",
      issues: "write",
      metadata: "read",
      pull_requests: "write",
    },
    events: ["issue_comment", "pull_request"],
  };
}

/** GitHub's timestamps: ISO 8601 to the second. */
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** A git object's id, as git computes it. */
function gitSha(type: string, content: Buffer): string {
  return createHash("sha1")
    .update(Buffer.concat([Buffer.from(`${type} ${content.length}\0`), content]))
    .digest("hex");
}

/** A ref name GitHub accepts (git check-ref-format), or why not. */
function refProblem(ref: string): string | undefined {
  if (!ref.startsWith("refs/") || ref.split("/").length < 3)
    return "Reference name must contain at least three slash-separated components.";
  const bad =
    /(^|\/)\.|\.\.|\/\/|\/$|\.lock(\/|$)|\.$|@\{|[\0- ~^:?*[\\\x7f]/.test(ref) || ref === "@";
  return bad ? `${ref} is not a valid ref name.` : undefined;
}

// ---------------------------------------------------------------- the fake

export class FakeGitHub {
  /** "owner/name": requests for another repository are answered 404, as GitHub does. */
  readonly repository = REPOSITORY;
  comments: StoredComment[] = [];
  /** login → role_name ("admin", "maintain", "write", "triage", "read"). */
  roles: Record<string, string> = {};
  /** Collaborators (GET /collaborators/{u} answers 204); default: everyone with a role. */
  collaborators?: Set<string>;
  teams: Record<string, string[]> = {};
  pulls: Record<number, Pull> = {};
  /** Git refs ("refs/…") → the commit they point at. */
  refs = new Map<string, string>();
  /** Commits that exist: a ref can only point at one (GITHUB_SHA, and every pull's head). */
  commits = new Set<string>([GITHUB_SHA]);
  /** Blobs written through the API, by sha. */
  blobs = new Map<string, Buffer>();
  requests: Recorded[] = [];
  /** Requests, and the fake's own answers, that GitHub's description does not allow. */
  violations: string[] = [];
  /** Set by a test that makes a request GitHub refuses on purpose: stop() then keeps quiet. */
  allowViolations = false;
  /** The kind of token the action calls with: who its comments are by, whether GET /user works. */
  tokenKind: TokenKind = "github-token";
  /** The App whose installation token the action holds when tokenKind is "app". */
  appSlug = "aegis-ci";
  /** The person a personal access token ("pat") belongs to. */
  viewer = "Codertocat";
  /** Public repositories let anyone read: the permission API says "read" for anyone. */
  visibility: "private" | "public" = "private";
  /** The fake's clock: every write moves it one second on, so timestamps are distinct. */
  now = new Date("2026-06-01T12:00:00Z");
  /** Holds ref creations until this many have arrived (to make two claims race). */
  refBarrier = 0;
  url = "";
  private held: (() => void)[] = [];
  private faults: Fault[] = [];
  private trees = new Map<string, { path: string; mode: string; type: string; sha: string }[]>();
  private parents = new Map<string, string[]>();
  private nextId = 1000;
  private server?: Server;

  async start(): Promise<this> {
    description(); // parse the description before the first request, not during it
    this.server = createServer((req, res) => {
      let text = "";
      req.on("data", (chunk) => (text += chunk));
      req.on("end", () => {
        let body: unknown;
        let unparsable = false;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          unparsable = true;
        }
        this.requests.push({ method: req.method ?? "", path: req.url ?? "", body });
        try {
          this.handle(req, res, body, unparsable);
        } catch (error) {
          this.violations.push(`${req.method} ${req.url}: the fake failed: ${String(error)}`);
          raw(res, 500, { message: String(error) });
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    if (!this.allowViolations) this.assertNoViolations();
  }

  /** Throws, listing them, when a request or answer did not match GitHub's description. */
  assertNoViolations(): void {
    if (this.violations.length > 0)
      throw new Error(
        `requests GitHub's REST description does not allow:\n${this.violations.join("\n")}`,
      );
  }

  /** Moves the clock on. */
  tick(seconds: number): void {
    this.now = new Date(this.now.getTime() + seconds * 1000);
  }

  /** Answers requests `method` (or "*") to a path matching `path` with an error, `times` times. */
  fail(method: string, path: RegExp, status: number, message: string, times = Infinity): void {
    this.faults.push({ method: method.toUpperCase(), path, status, message, times });
  }

  /** The login the token writes as. */
  get identity(): string {
    if (this.tokenKind === "github-token") return "github-actions[bot]";
    if (this.tokenKind === "app") return `${this.appSlug}[bot]`;
    return this.viewer;
  }

  /**
   * Adds a comment as someone. `app`: the slug of the GitHub App that posted it (on a
   * person's behalf, or as its bot); a bot's own App is implied (github-actions[bot] →
   * GitHub Actions).
   */
  comment(
    issue: number,
    body: string,
    login = "github-actions[bot]",
    type = "Bot",
    options: { app?: string; createdAt?: string } = {},
  ): StoredComment {
    const slug =
      options.app ??
      (login === "github-actions[bot]"
        ? GITHUB_ACTIONS_APP.slug
        : login === `${this.appSlug}[bot]`
          ? this.appSlug
          : undefined);
    const app = slug ? installedApp(slug, this.owner) : null;
    return this.addComment(issue, body, simpleUser(login, type, this.api), app, options.createdAt);
  }

  private addComment(
    issue: number,
    body: string,
    user: SimpleUser,
    app: App | null,
    createdAt?: string,
  ): StoredComment {
    if (createdAt === undefined) this.tick(1);
    const at = createdAt ?? iso(this.now);
    const id = this.nextId++;
    const repoApi = `${this.api}/repos/${this.repository}`;
    const kind = issue in this.pulls ? "pull" : "issues";
    const c: StoredComment = {
      id,
      node_id: Buffer.from(`012:IssueComment${id}`).toString("base64"),
      url: `${repoApi}/issues/comments/${id}`,
      html_url: `${WEB}/${this.repository}/${kind}/${issue}#issuecomment-${id}`,
      issue_url: `${repoApi}/issues/${issue}`,
      body,
      user,
      created_at: at,
      updated_at: at,
      author_association: this.association(user.login),
      performed_via_github_app: app,
      reactions: {
        url: `${repoApi}/issues/comments/${id}/reactions`,
        total_count: 0,
        "+1": 0,
        "-1": 0,
        laugh: 0,
        hooray: 0,
        confused: 0,
        heart: 0,
        rocket: 0,
        eyes: 0,
      },
      issue,
    };
    this.comments.push(c);
    return c;
  }

  /** Edits a comment, as its author would: the body, and updated_at. */
  edit(id: number, body: string): StoredComment {
    const c = this.comments.find((c) => c.id === id);
    if (!c) throw new Error(`no comment ${id}`);
    this.tick(1);
    c.body = body;
    c.updated_at = iso(this.now);
    return c;
  }

  /** Deletes a comment. */
  remove(id: number): void {
    this.comments = this.comments.filter((c) => c.id !== id);
  }

  /** A comment as the API (and the issue_comment webhook) shows it. */
  apiComment(c: StoredComment): Omit<StoredComment, "issue"> {
    const { issue: _issue, ...shown } = c;
    return structuredClone(shown);
  }

  /** The bot's comments that carry a state. */
  stateComments(): StoredComment[] {
    return this.comments.filter((c) => c.body.includes("<!-- aegis-state:"));
  }

  private get api(): string {
    return this.url || API;
  }

  private get owner(): SimpleUser {
    return simpleUser(this.repository.split("/")[0]!, "User", this.api);
  }

  private association(login: string): string {
    if (login === this.owner.login) return "OWNER";
    const collaborator = this.collaborators ? this.collaborators.has(login) : login in this.roles;
    return collaborator ? "COLLABORATOR" : "NONE";
  }

  private tokenUser(): SimpleUser {
    return simpleUser(this.identity, this.tokenKind === "pat" ? "User" : "Bot", this.api);
  }

  private tokenApp(): App | null {
    if (this.tokenKind === "github-token") return GITHUB_ACTIONS_APP;
    if (this.tokenKind === "app") return installedApp(this.appSlug, this.owner);
    return null;
  }

  private isCommit(sha: string): boolean {
    return this.commits.has(sha) || Object.values(this.pulls).some((p) => p.headSha === sha);
  }

  // ---------------------------------------------------------------- the protocol

  private handle(req: IncomingMessage, res: ServerResponse, body: unknown, unparsable: boolean) {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://x");
    const what = `${method} ${req.url}`;
    const violation = (why: string) => this.violations.push(`${what}: ${why}`);

    // GraphQL is not part of the REST description: the fake knows one query.
    if (url.pathname === "/graphql" && method === "POST") return this.graphql(res, body, what);

    const spec = description();
    const found = spec.match(method, url.pathname);
    if (!found || found === "method") {
      violation(
        found
          ? `the path exists in GitHub's REST description, but not for ${method}`
          : "no operation of GitHub's REST description has this path",
      );
      return raw(res, 404, { message: "Not Found", documentation_url: REST_DOCS, status: "404" });
    }
    const { route, params } = found;
    const docs = route.operation.externalDocs?.url ?? REST_DOCS;
    const answer: Answer = (status, data, headers = {}) =>
      this.send(res, route, status, data, headers, what);
    const error = (status: number, message: string, extra: object = {}) =>
      answer(status, { message, documentation_url: docs, status: String(status), ...extra });

    const problems = this.checkRequest(route, params, url.searchParams, body, unparsable);
    for (const p of problems.all) violation(p);
    if (problems.notFound)
      return raw(res, 404, { message: "Not Found", documentation_url: docs, status: "404" });
    if (unparsable) return error(400, "Problems parsing JSON");
    if (problems.body.length > 0 || problems.query.length > 0)
      return error(422, "Validation Failed", {
        errors: [...problems.query, ...problems.body].map((message) => ({
          resource: "Request",
          code: "invalid",
          message,
        })),
      });

    const fault = this.faults.find(
      (f) => f.times > 0 && (f.method === "*" || f.method === method) && f.path.test(url.pathname),
    );
    if (fault) {
      fault.times--;
      // A deliberate error: GitHub's error shape, whatever the description lists.
      const status = String(fault.status);
      return raw(res, fault.status, { message: fault.message, documentation_url: docs, status });
    }

    const owner = params.owner;
    if (
      owner !== undefined &&
      `${owner}/${params.repo}`.toLowerCase() !== this.repository.toLowerCase()
    )
      return error(404, "Not Found");
    this.route(route.template, method, params, url.searchParams, body, answer, error, res);
  }

  /** What in a request the description does not allow. */
  private checkRequest(
    route: Route,
    params: Record<string, string>,
    query: URLSearchParams,
    body: unknown,
    unparsable: boolean,
  ) {
    const spec = description();
    const out = {
      all: [] as string[],
      notFound: false,
      query: [] as string[],
      body: [] as string[],
    };
    const declared = new Set<string>();
    (route.operation.parameters ?? []).forEach((p, i) => {
      const { value: param, pointer } = spec.resolve<Parameter>(p);
      const at = `${pointer ?? `${route.pointer}/parameters/${i}`}/schema`;
      if (param.in === "path") {
        const problems = spec.validate(at, coerce(params[param.name] ?? "", param));
        if (problems.length > 0) {
          out.notFound = true; // GitHub routes only what fits: anything else is Not Found
          out.all.push(`path parameter ${param.name}: ${problems.join("; ")}`);
        }
      } else if (param.in === "query") {
        declared.add(param.name);
        const value = query.get(param.name);
        if (value === null) {
          if (param.required) out.query.push(`query parameter ${param.name} is required`);
          return;
        }
        const problems = spec.validate(at, coerce(value, param));
        // The description says "(max 100)" in words only; GitHub clamps larger values.
        const max = /\(max (\d+)\)/.exec(param.description ?? "")?.[1];
        if (max && Number(value) > Number(max))
          out.all.push(`query parameter ${param.name}=${value} is above its maximum ${max}`);
        for (const p of problems) out.query.push(`query parameter ${param.name}: ${p}`);
      }
    });
    for (const name of query.keys())
      if (!declared.has(name))
        out.all.push(`query parameter ${name} is not one of the operation's`);
    if (route.operation.requestBody) {
      const { value: requestBody, pointer } = spec.resolve(route.operation.requestBody);
      const json = requestBody.content?.["application/json"];
      if (unparsable) out.all.push("the body is not JSON");
      else if (body === undefined) {
        if (requestBody.required) out.body.push("the operation requires a JSON body");
      } else if (json?.schema) {
        const at = `${pointer ?? `${route.pointer}/requestBody`}/content/application~1json/schema`;
        out.body.push(...spec.validate(at, body).map((p) => `body ${p}`));
      }
    }
    out.all.push(...out.query, ...out.body);
    return out;
  }

  /** Sends an answer, checked against the response the description gives for its status. */
  private send(
    res: ServerResponse,
    route: Route,
    status: number,
    data: unknown,
    headers: Record<string, string>,
    what: string,
  ) {
    const spec = description();
    const responses = route.operation.responses;
    const listed =
      responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
    const problems: string[] = [];
    if (!listed) {
      // GitHub answers errors a description does not list (a 404 for a deleted comment):
      // they have its basic error shape.
      if (status < 400) problems.push(`${status} is not a status the description lists`);
      else problems.push(...spec.validate("#/components/schemas/basic-error", data));
    } else {
      const { value: response, pointer } = spec.resolve(listed);
      const at = pointer ?? `${route.pointer}/responses/${status}`;
      if (response.content?.["application/json"]?.schema)
        problems.push(...spec.validate(`${at}/content/application~1json/schema`, data));
      else if (data !== undefined) problems.push("the description gives this answer no body");
    }
    for (const p of problems)
      this.violations.push(`${what}: the fake's ${status} answer does not match: ${p}`);
    raw(res, status, data, headers);
  }

  private graphql(res: ServerResponse, body: unknown, what: string) {
    const query = (body as { query?: unknown } | undefined)?.query;
    if (
      typeof query === "string" &&
      /^\s*(query\s*)?\{\s*viewer\s*\{\s*login\s*\}\s*\}\s*$/.test(query)
    )
      return raw(res, 200, { data: { viewer: { login: this.identity } } });
    this.violations.push(`${what}: the fake answers only the GraphQL query { viewer { login } }`);
    raw(res, 200, { errors: [{ message: "not supported by the fake GitHub" }] });
  }

  private route(
    template: string,
    method: string,
    p: Record<string, string>,
    query: URLSearchParams,
    // biome-ignore lint/suspicious/noExplicitAny: request bodies, checked against the description
    body: any,
    answer: Answer,
    error: (status: number, message: string, extra?: object) => void,
    res: ServerResponse,
  ) {
    const repoApi = `${this.api}/repos/${this.repository}`;
    const op = `${method} ${template.replace(/^\/repos\/\{owner\}\/\{repo\}/, "")}`;
    switch (op) {
      case "GET /user": {
        if (this.tokenKind !== "pat") return error(403, "Resource not accessible by integration");
        return answer(200, this.privateUser());
      }
      case "GET /issues/{issue_number}/comments": {
        const issue = Number(p.issue_number);
        const since = query.get("since");
        const all = this.comments.filter(
          (c) => c.issue === issue && (!since || Date.parse(c.updated_at) >= Date.parse(since)),
        );
        const { shown, headers } = paginate(all, query, `${repoApi}/issues/${issue}/comments`);
        return answer(
          200,
          shown.map((c) => this.apiComment(c)),
          headers,
        );
      }
      case "GET /issues": {
        // Open issues and pull requests: every pull request, and every issue with comments.
        const numbers = [
          ...new Set([
            ...Object.keys(this.pulls).map(Number),
            ...this.comments.map((c) => c.issue),
          ]),
        ].sort((a, b) => b - a);
        const { shown, headers } = paginate(numbers, query, `${repoApi}/issues`);
        return answer(
          200,
          shown.map((n) => this.issue(n)),
          headers,
        );
      }
      case "POST /issues/{issue_number}/comments": {
        const c = this.addComment(
          Number(p.issue_number),
          body.body,
          this.tokenUser(),
          this.tokenApp(),
        );
        return answer(201, this.apiComment(c), { location: c.url });
      }
      case "GET /issues/comments/{comment_id}":
      case "PATCH /issues/comments/{comment_id}":
      case "DELETE /issues/comments/{comment_id}": {
        const c = this.comments.find((c) => c.id === Number(p.comment_id));
        if (!c) return error(404, "Not Found");
        if (method === "GET") return answer(200, this.apiComment(c));
        if (method === "DELETE") {
          this.remove(c.id);
          return answer(204, undefined);
        }
        return answer(200, this.apiComment(this.edit(c.id, body.body)));
      }
      case "POST /issues/comments/{comment_id}/reactions": {
        const c = this.comments.find((c) => c.id === Number(p.comment_id));
        if (!c) return error(404, "Not Found");
        this.tick(1);
        c.reactions[body.content] = Number(c.reactions[body.content] ?? 0) + 1;
        c.reactions.total_count = Number(c.reactions.total_count) + 1;
        const id = this.nextId++;
        return answer(201, {
          id,
          node_id: Buffer.from(`08:Reaction${id}`).toString("base64"),
          user: this.tokenUser(),
          content: body.content,
          created_at: iso(this.now),
        });
      }
      case "GET /collaborators/{username}/permission": {
        const login = p.username!;
        const role = this.roles[login] ?? (this.visibility === "public" ? "read" : undefined);
        if (!role) return error(404, "Not Found");
        const permission = role === "maintain" ? "write" : role === "triage" ? "read" : role;
        const user = {
          ...simpleUser(login, /\[bot\]$/.test(login) ? "Bot" : "User", this.api),
          permissions: {
            admin: role === "admin",
            maintain: role === "admin" || role === "maintain",
            push: permission === "admin" || permission === "write",
            triage: role !== "read",
            pull: true,
          },
          role_name: role,
        };
        return answer(200, { permission, role_name: role, user });
      }
      case "GET /collaborators/{username}": {
        const login = p.username!;
        const yes = this.collaborators ? this.collaborators.has(login) : login in this.roles;
        return answer(yes ? 204 : 404, undefined);
      }
      case "GET /orgs/{org}/teams/{team_slug}/memberships/{username}": {
        const members = this.teams[`${p.org}/${p.team_slug}`] ?? [];
        if (!members.includes(p.username!)) return answer(404, undefined);
        return answer(200, {
          url: `${this.api}/organizations/${accountId(p.org!)}/team/${accountId(p.team_slug!)}/memberships/${p.username}`,
          role: "member",
          state: "active",
        });
      }
      case "GET /pulls/{pull_number}": {
        const n = Number(p.pull_number);
        const pull = this.pulls[n];
        if (!pull) return error(404, "Not Found");
        return answer(200, this.pullRequest(n, pull));
      }
      case "POST /git/refs": {
        if (this.refBarrier > 1) {
          this.held.push(() => this.createRef(body, answer, error, repoApi));
          if (this.held.length >= this.refBarrier) {
            this.refBarrier = 0;
            for (const go of this.held.splice(0)) go();
          }
          return;
        }
        return this.createRef(body, answer, error, repoApi);
      }
      case "GET /git/ref/{ref}": {
        const ref = `refs/${p.ref}`;
        const sha = this.refs.get(ref);
        if (!sha) return error(404, "Not Found");
        return answer(200, this.gitRef(ref, sha, repoApi));
      }
      case "PATCH /git/refs/{ref}": {
        const ref = `refs/${p.ref}`;
        const old = this.refs.get(ref);
        if (!old) return error(422, "Reference does not exist");
        if (!this.isCommit(body.sha)) return error(422, "Object does not exist");
        if (!body.force && !this.descends(body.sha, old))
          return error(422, "Update is not a fast forward");
        this.tick(1);
        this.refs.set(ref, body.sha);
        return answer(200, this.gitRef(ref, body.sha, repoApi));
      }
      case "POST /git/blobs": {
        const encoding = body.encoding ?? "utf-8";
        if (encoding !== "utf-8" && encoding !== "utf8" && encoding !== "base64")
          return error(422, `encoding must be "utf-8" or "base64"`);
        const content = Buffer.from(body.content, encoding === "base64" ? "base64" : "utf8");
        const sha = gitSha("blob", content);
        this.blobs.set(sha, content);
        const blobUrl = `${repoApi}/git/blobs/${sha}`;
        return answer(201, { url: blobUrl, sha }, { location: blobUrl });
      }
      case "GET /git/blobs/{file_sha}": {
        const content = this.blobs.get(p.file_sha!);
        if (!content) return error(404, "Not Found");
        return answer(200, {
          sha: p.file_sha,
          node_id: Buffer.from(`04:Blob${p.file_sha}`).toString("base64"),
          size: content.length,
          url: `${repoApi}/git/blobs/${p.file_sha}`,
          // GitHub wraps the base64 at 60 characters.
          content: `${content.toString("base64").replace(/.{60}/g, "$&\n")}\n`,
          encoding: "base64",
        });
      }
      case "POST /git/trees":
        return this.createTree(body, answer, error, repoApi);
      case "POST /git/commits":
        return this.createCommit(body, answer, error, repoApi);
    }
    // An operation GitHub has, that the fake does not implement.
    this.violations.push(`${method} ${template}: the fake does not implement this operation`);
    raw(res, 501, { message: "Not implemented by the fake GitHub" });
  }

  private createRef(
    body: { ref: string; sha: string },
    answer: Answer,
    error: (status: number, message: string) => void,
    repoApi: string,
  ) {
    const problem = refProblem(body.ref);
    if (problem) return error(422, problem);
    if (this.refs.has(body.ref)) return error(422, "Reference already exists");
    if (!this.isCommit(body.sha)) return error(422, "Object does not exist");
    this.tick(1);
    this.refs.set(body.ref, body.sha);
    const ref = this.gitRef(body.ref, body.sha, repoApi);
    answer(201, ref, { location: ref.url });
  }

  private gitRef(ref: string, sha: string, repoApi: string) {
    return {
      ref,
      node_id: Buffer.from(`03:Ref${this.repository}:${ref}`).toString("base64"),
      url: `${repoApi}/git/${ref}`,
      object: { sha, type: "commit", url: `${repoApi}/git/commits/${sha}` },
    };
  }

  /** Whether `sha` has `ancestor` in its history (a fast-forward from it). */
  private descends(sha: string, ancestor: string): boolean {
    const seen = new Set<string>();
    const todo = [sha];
    while (todo.length > 0) {
      const at = todo.pop()!;
      if (at === ancestor) return true;
      if (seen.has(at)) continue;
      seen.add(at);
      todo.push(...(this.parents.get(at) ?? []));
    }
    return false;
  }

  private createTree(
    body: {
      tree: { path: string; mode: string; type: string; sha?: string | null; content?: string }[];
    },
    answer: Answer,
    error: (status: number, message: string) => void,
    repoApi: string,
  ) {
    const entries: { path: string; mode: string; type: string; sha: string }[] = [];
    for (const e of body.tree) {
      let sha = e.sha ?? undefined;
      if (e.content !== undefined) {
        const content = Buffer.from(e.content);
        sha = gitSha("blob", content);
        this.blobs.set(sha, content);
      }
      const known =
        sha !== undefined &&
        (e.type === "blob" ? this.blobs.has(sha) : e.type === "tree" ? this.trees.has(sha) : true);
      if (!known) return error(422, `tree.sha ${sha} is not a valid ${e.type}`);
      entries.push({ path: e.path, mode: e.mode, type: e.type, sha: sha! });
    }
    entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const content = Buffer.concat(
      entries.map((e) =>
        Buffer.concat([
          Buffer.from(`${e.mode.replace(/^0/, "")} ${e.path}\0`),
          Buffer.from(e.sha, "hex"),
        ]),
      ),
    );
    const sha = gitSha("tree", content);
    this.trees.set(sha, entries);
    return answer(201, {
      sha,
      url: `${repoApi}/git/trees/${sha}`,
      truncated: false,
      tree: entries.map((e) => ({
        ...e,
        ...(e.type === "blob" && { size: this.blobs.get(e.sha)?.length ?? 0 }),
        url: `${repoApi}/git/${e.type}s/${e.sha}`,
      })),
    });
  }

  private createCommit(
    body: {
      message: string;
      tree: string;
      parents?: string[];
      author?: { name: string; email: string };
    },
    answer: Answer,
    error: (status: number, message: string) => void,
    repoApi: string,
  ) {
    if (!this.trees.has(body.tree)) return error(422, "Tree SHA does not exist");
    const parents = body.parents ?? [];
    if (parents.some((p) => !this.isCommit(p)))
      return error(422, "Parent SHA does not exist or is not a commit object");
    this.tick(1);
    const user = this.tokenUser();
    const person = body.author ?? {
      name: user.login,
      email: `${user.id}+${user.login}@users.noreply.github.com`,
    };
    const seconds = Math.floor(this.now.getTime() / 1000);
    const signature = `${person.name} <${person.email}> ${seconds} +0000`;
    const text = [
      `tree ${body.tree}`,
      ...parents.map((p) => `parent ${p}`),
      `author ${signature}`,
      `committer ${signature}`,
      "",
      body.message,
    ].join("\n");
    const sha = gitSha("commit", Buffer.from(text));
    this.commits.add(sha);
    this.parents.set(sha, parents);
    const who = { ...person, date: iso(this.now) };
    return answer(201, {
      sha,
      node_id: Buffer.from(`06:Commit${sha}`).toString("base64"),
      url: `${repoApi}/git/commits/${sha}`,
      html_url: `${WEB}/${this.repository}/commit/${sha}`,
      author: who,
      committer: who,
      message: body.message,
      tree: { sha: body.tree, url: `${repoApi}/git/trees/${body.tree}` },
      parents: parents.map((p) => ({
        sha: p,
        url: `${repoApi}/git/commits/${p}`,
        html_url: `${WEB}/${this.repository}/commit/${p}`,
      })),
      verification: {
        verified: false,
        reason: "unsigned",
        signature: null,
        payload: null,
        verified_at: null,
      },
    });
  }

  /** GET /user for a personal token: its owner, as a private-user. */
  private privateUser() {
    return {
      ...simpleUser(this.viewer, "User", this.api),
      user_view_type: "private",
      name: this.viewer,
      company: null,
      blog: "",
      location: null,
      email: null,
      notification_email: null,
      hireable: null,
      bio: null,
      twitter_username: null,
      public_repos: 1,
      public_gists: 0,
      followers: 0,
      following: 0,
      created_at: "2018-01-01T00:00:00Z",
      updated_at: "2026-01-01T00:00:00Z",
      private_gists: 0,
      total_private_repos: 0,
      owned_private_repos: 0,
      disk_usage: 0,
      collaborators: 0,
      two_factor_authentication: true,
      plan: { name: "free", space: 976562499, collaborators: 0, private_repos: 10000 },
    };
  }

  /** The REST pull request: the webhook example's, with this pull's number, head and author. */
  /** An issue (or a pull request's issue) as the issues API shows it. */
  private issue(n: number) {
    const example = webhookExample("issue_comment.created").issue as Record<string, unknown>;
    const repoApi = `${this.api}/repos/${this.repository}`;
    const pull = this.pulls[n];
    const kind = pull ? "pull" : "issues";
    const { pull_request: _pr, ...rest } = example;
    return {
      ...rest,
      url: `${repoApi}/issues/${n}`,
      repository_url: repoApi,
      labels_url: `${repoApi}/issues/${n}/labels{/name}`,
      comments_url: `${repoApi}/issues/${n}/comments`,
      events_url: `${repoApi}/issues/${n}/events`,
      html_url: `${WEB}/${this.repository}/${kind}/${n}`,
      number: n,
      state: "open",
      comments: this.comments.filter((c) => c.issue === n).length,
      ...(pull && {
        user: simpleUser(pull.author, "User", this.api),
        pull_request: {
          url: `${repoApi}/pulls/${n}`,
          html_url: `${WEB}/${this.repository}/pull/${n}`,
          diff_url: `${WEB}/${this.repository}/pull/${n}.diff`,
          patch_url: `${WEB}/${this.repository}/pull/${n}.patch`,
          merged_at: null,
        },
      }),
    };
  }

  private pullRequest(n: number, pull: Pull) {
    // The webhook example's pull request (Codertocat/Hello-World#2) has the REST object's fields.
    const pr = webhookExample("pull_request.opened").pull_request as Record<string, unknown> & {
      head: Record<string, unknown> & { repo: Record<string, unknown> };
      base: Record<string, unknown>;
    };
    const api = this.api;
    const repoApi = `${api}/repos/${this.repository}`;
    const html = `${WEB}/${this.repository}/pull/${n}`;
    const author = simpleUser(pull.author, /\[bot\]$/.test(pull.author) ? "Bot" : "User", api);
    const headRef = pull.headRef ?? String(pr.head.ref);
    const headRepo = pull.headRepo ?? this.repository;
    const [headOwner, headName] = headRepo.split("/") as [string, string];
    const links = (self: string) => ({
      self: { href: `${repoApi}/pulls/${n}` },
      html: { href: html },
      issue: { href: `${repoApi}/issues/${n}` },
      comments: { href: `${repoApi}/issues/${n}/comments` },
      review_comments: { href: `${repoApi}/pulls/${n}/comments` },
      review_comment: { href: `${repoApi}/pulls/comments{/number}` },
      commits: { href: `${repoApi}/pulls/${n}/commits` },
      statuses: { href: `${repoApi}/statuses/${self}` },
    });
    return {
      ...pr,
      url: `${repoApi}/pulls/${n}`,
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: `${repoApi}/issues/${n}`,
      commits_url: `${repoApi}/pulls/${n}/commits`,
      review_comments_url: `${repoApi}/pulls/${n}/comments`,
      review_comment_url: `${repoApi}/pulls/comments{/number}`,
      comments_url: `${repoApi}/issues/${n}/comments`,
      statuses_url: `${repoApi}/statuses/${pull.headSha}`,
      number: n,
      user: author,
      head: {
        ...pr.head,
        label: `${headOwner}:${headRef}`,
        ref: headRef,
        sha: pull.headSha,
        user: simpleUser(headOwner, "User", api),
        repo: {
          ...pr.head.repo,
          name: headName,
          full_name: headRepo,
          owner: simpleUser(headOwner, "User", api),
          fork: headRepo !== this.repository,
          private: this.visibility === "private",
        },
      },
      base: { ...pr.base, sha: GITHUB_SHA },
      _links: links(pull.headSha),
      author_association: this.association(pull.author),
    };
  }
}

type Answer = (status: number, data: unknown, headers?: Record<string, string>) => void;

/** One page of a list, as GitHub pages it: per_page (default 30, at most 100), page, Link. */
function paginate<T>(
  all: T[],
  query: URLSearchParams,
  base: string,
): { shown: T[]; headers: Record<string, string> } {
  const per = Math.min(100, Math.max(1, Number(query.get("per_page") ?? 30) || 30));
  const page = Math.max(1, Number(query.get("page") ?? 1) || 1);
  const last = Math.max(1, Math.ceil(all.length / per));
  const link = (n: number) => {
    const next = new URLSearchParams(query);
    next.set("per_page", String(per));
    next.set("page", String(n));
    return `<${base}?${next}>`;
  };
  const links: string[] = [];
  if (page > 1) links.push(`${link(Math.min(page - 1, last))}; rel="prev"`);
  if (page < last) links.push(`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`);
  if (page > 1) links.push(`${link(1)}; rel="first"`);
  return {
    shown: all.slice((page - 1) * per, page * per),
    headers: links.length > 0 ? { link: links.join(", ") } : {},
  };
}

function raw(
  res: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify(body));
}

/** A path or query parameter's text as the value its schema describes. */
function coerce(value: string, param: Parameter): unknown {
  const type = param.schema?.type;
  if (type === "integer" || type === "number")
    return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  if (type === "boolean") return value === "true" ? true : value === "false" ? false : value;
  return value;
}
