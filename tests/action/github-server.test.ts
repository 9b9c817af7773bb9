import { getOctokit } from "@actions/github";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeGitHub, GITHUB_ACTIONS_APP } from "./github-server.ts";
import { GITHUB_SHA } from "./run-action.ts";

const REPO = "/repos/Codertocat/Hello-World";
const HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
let gh: FakeGitHub;

beforeEach(async () => {
  gh = await new FakeGitHub().start();
  gh.pulls[2] = { headSha: HEAD, author: "Codertocat" };
});
afterEach(() => gh.stop());

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${gh.url}${path}`, {
    method,
    headers: { authorization: "token ghs_test", "content-type": "application/json" },
    ...(body !== undefined && { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: GitHub's answers, read freely
  const data: any = text ? JSON.parse(text) : undefined;
  return { status: res.status, data, link: res.headers.get("link") };
}

/** The violations so far; the test made them on purpose, so stop() must not fail on them. */
function expected(): string[] {
  gh.allowViolations = true;
  return gh.violations;
}

describe("requests GitHub's description does not allow", () => {
  it("a misspelt route is a violation, answered 404, and fails the test at stop()", async () => {
    const res = await call("POST", `${REPO}/issues/2/coments`, { body: "hi" });
    expect(res.status).toBe(404);
    expect(res.data).toMatchObject({ message: "Not Found" });
    expect(gh.violations).toEqual([
      `POST ${REPO}/issues/2/coments: no operation of GitHub's REST description has this path`,
    ]);
    expect(() => gh.assertNoViolations()).toThrow(/coments/);
    await expect(gh.stop()).rejects.toThrow(/does not allow:\nPOST .*coments/);
    gh.violations.length = 0; // afterEach stops it again
  });

  it("a method the path does not have is a violation", async () => {
    const res = await call("PUT", `${REPO}/issues/2/comments`, { body: "hi" });
    expect(res.status).toBe(404);
    expect(expected()).toEqual([
      `PUT ${REPO}/issues/2/comments: the path exists in GitHub's REST description, but not for PUT`,
    ]);
  });

  it("a body without a required field is answered 422 Validation Failed", async () => {
    const res = await call("POST", `${REPO}/issues/2/comments`, { text: "hi" });
    expect(res.status).toBe(422);
    expect(res.data.message).toBe("Validation Failed");
    expect(res.data.errors[0].message).toMatch(/required property 'body'/);
    expect(expected()).toEqual([
      `POST ${REPO}/issues/2/comments: body (root) must have required property 'body'`,
    ]);
    expect(gh.comments).toHaveLength(0);
  });

  it("a body of the wrong type, or not in an enum, is answered 422", async () => {
    const c = gh.comment(2, "hello", "alice", "User");
    expect((await call("PATCH", `${REPO}/issues/comments/${c.id}`, { body: 42 })).status).toBe(422);
    const reaction = await call("POST", `${REPO}/issues/comments/${c.id}/reactions`, {
      content: "thumbsup",
    });
    expect(reaction.status).toBe(422);
    expect(expected()).toEqual([
      `PATCH ${REPO}/issues/comments/${c.id}: body /body must be string`,
      expect.stringMatching(/reactions: body \/content must be equal to one of the allowed values/),
    ]);
    expect(c.body).toBe("hello");
  });

  it("a body that is not JSON is answered 400", async () => {
    const res = await call("POST", `${REPO}/issues/2/comments`, "{body:");
    expect(res.status).toBe(400);
    expect(res.data.message).toBe("Problems parsing JSON");
    expect(expected()).toEqual([`POST ${REPO}/issues/2/comments: the body is not JSON`]);
  });

  it("per_page above 100 is a violation; GitHub clamps it to 100", async () => {
    for (let i = 0; i < 120; i++) gh.comment(2, `comment ${i}`, "alice", "User");
    const res = await call("GET", `${REPO}/issues/2/comments?per_page=500`);
    expect(res.status).toBe(200);
    expect(res.data).toHaveLength(100);
    expect(expected()).toEqual([
      `GET ${REPO}/issues/2/comments?per_page=500: query parameter per_page=500 is above its maximum 100`,
    ]);
  });

  it("a query parameter of the wrong type, or unknown, is a violation", async () => {
    await call("GET", `${REPO}/issues/2/comments?page=first`);
    await call("GET", `${REPO}/issues/2/comments?sort=created`);
    expect(expected()).toEqual([
      `GET ${REPO}/issues/2/comments?page=first: query parameter page: (root) must be integer`,
      `GET ${REPO}/issues/2/comments?sort=created: query parameter sort is not one of the operation's`,
    ]);
  });

  it("a path parameter of the wrong type is Not Found", async () => {
    const res = await call("GET", `${REPO}/issues/two/comments`);
    expect(res.status).toBe(404);
    expect(expected()).toEqual([
      `GET ${REPO}/issues/two/comments: path parameter issue_number: (root) must be integer`,
    ]);
  });

  it("the fake's own answers are checked: a comment without a proper user is a violation", async () => {
    const c = gh.comment(2, "hello", "alice", "User");
    c.user = { login: "alice" } as unknown as typeof c.user;
    const res = await call("GET", `${REPO}/issues/comments/${c.id}`);
    expect(res.status).toBe(200);
    expect(expected()[0]).toMatch(
      /: the fake's 200 answer does not match: \/user must have required property '\w+'/,
    );
  });
});

describe("requests GitHub's description allows", () => {
  it("create, list, read, edit and delete comments: no violations", async () => {
    const created = await call("POST", `${REPO}/issues/2/comments`, { body: "first" });
    expect(created.status).toBe(201);
    const id = created.data.id;
    expect((await call("GET", `${REPO}/issues/2/comments`)).data).toHaveLength(1);
    expect((await call("GET", `${REPO}/issues/comments/${id}`)).data.body).toBe("first");
    const edited = await call("PATCH", `${REPO}/issues/comments/${id}`, { body: "second" });
    expect(edited.data.body).toBe("second");
    expect(edited.data.updated_at > edited.data.created_at).toBe(true);
    expect(gh.comments[0]!.body).toBe("second");
    const reacted = await call("POST", `${REPO}/issues/comments/${id}/reactions`, {
      content: "+1",
    });
    expect(reacted.status).toBe(201);
    expect((await call("GET", `${REPO}/issues/comments/${id}`)).data.reactions["+1"]).toBe(1);
    expect((await call("DELETE", `${REPO}/issues/comments/${id}`)).status).toBe(204);
    expect((await call("GET", `${REPO}/issues/comments/${id}`)).status).toBe(404);
    expect(gh.comments).toHaveLength(0);
    expect(gh.violations).toEqual([]);
  });

  it("another repository is Not Found, as for a token that cannot see it", async () => {
    const res = await call("GET", "/repos/mallory/Hello-World/issues/2/comments");
    expect(res.status).toBe(404);
    expect(gh.violations).toEqual([]);
  });

  it("Octokit's paginate follows the Link header through every page", async () => {
    for (let i = 0; i < 250; i++) gh.comment(2, `comment ${i}`, "alice", "User");
    const octokit = getOctokit("ghs_test", { baseUrl: gh.url });
    const all = await octokit.paginate("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", {
      owner: "Codertocat",
      repo: "Hello-World",
      issue_number: 2,
      per_page: 100,
    });
    expect(all.map((c) => c.body)).toEqual(gh.comments.map((c) => c.body));
    const pages = gh.requests.filter((r) => r.path.includes("/issues/2/comments"));
    expect(pages.map((r) => new URL(r.path, gh.url).searchParams.get("page"))).toEqual([
      null,
      "2",
      "3",
    ]);
  });

  it("the Link header has next and last, then prev and first, on the server's own URL", async () => {
    for (let i = 0; i < 5; i++) gh.comment(2, `comment ${i}`, "alice", "User");
    const first = await call("GET", `${REPO}/issues/2/comments?per_page=2`);
    const url = (page: number) => `<${gh.url}${REPO}/issues/2/comments?per_page=2&page=${page}>`;
    expect(first.link).toBe(`${url(2)}; rel="next", ${url(3)}; rel="last"`);
    const middle = await call("GET", `${REPO}/issues/2/comments?per_page=2&page=2`);
    expect(middle.link).toBe(
      `${url(1)}; rel="prev", ${url(3)}; rel="next", ${url(3)}; rel="last", ${url(1)}; rel="first"`,
    );
    const last = await call("GET", `${REPO}/issues/2/comments?per_page=2&page=3`);
    expect(last.data).toHaveLength(1);
    expect(last.link).toBe(`${url(2)}; rel="prev", ${url(1)}; rel="first"`);
    expect((await call("GET", `${REPO}/issues/2/comments`)).data).toHaveLength(5);
  });

  it("a full pull request, with the head the test set", async () => {
    const res = await call("GET", `${REPO}/pulls/2`);
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({
      number: 2,
      head: { sha: HEAD, repo: { full_name: "Codertocat/Hello-World" } },
      user: { login: "Codertocat", type: "User" },
    });
    expect((await call("GET", `${REPO}/pulls/3`)).status).toBe(404);
    expect(gh.violations).toEqual([]);
  });
});

describe("who the token is", () => {
  it("a GITHUB_TOKEN writes as github-actions[bot], through the GitHub Actions App", async () => {
    const res = await call("POST", `${REPO}/issues/2/comments`, { body: "hi" });
    expect(res.data.user).toMatchObject({
      login: "github-actions[bot]",
      id: 41898282,
      type: "Bot",
    });
    expect(res.data.performed_via_github_app).toMatchObject({ id: 15368, slug: "github-actions" });
    const user = await call("GET", "/user");
    expect(user.status).toBe(403);
    expect(user.data).toMatchObject({
      message: "Resource not accessible by integration",
      status: "403",
    });
    expect(user.data.documentation_url).toMatch(/^https:\/\/docs\.github\.com\//);
  });

  it("an App's installation token writes as <slug>[bot], through that App", async () => {
    gh.tokenKind = "app";
    const res = await call("POST", `${REPO}/issues/2/comments`, { body: "hi" });
    expect(res.data.user).toMatchObject({ login: "aegis-ci[bot]", type: "Bot" });
    expect(res.data.performed_via_github_app.slug).toBe("aegis-ci");
    expect((await call("GET", "/user")).status).toBe(403);
  });

  it("a personal token writes as its owner, with no App, and may read /user", async () => {
    gh.tokenKind = "pat";
    gh.viewer = "maintainer1";
    const res = await call("POST", `${REPO}/issues/2/comments`, { body: "hi" });
    expect(res.data.user).toMatchObject({ login: "maintainer1", type: "User" });
    expect(res.data.performed_via_github_app).toBeNull();
    const user = await call("GET", "/user");
    expect(user.status).toBe(200);
    expect(user.data.login).toBe("maintainer1");
  });

  it("GraphQL's viewer is the token's identity", async () => {
    const viewer = () => call("POST", "/graphql", { query: "query { viewer { login } }" });
    expect((await viewer()).data).toEqual({ data: { viewer: { login: "github-actions[bot]" } } });
    gh.tokenKind = "app";
    expect((await viewer()).data.data.viewer.login).toBe("aegis-ci[bot]");
  });

  it("comment() marks an App's comments: a bot's own, or one posted on a person's behalf", () => {
    expect(gh.comment(2, "x").performed_via_github_app).toBe(GITHUB_ACTIONS_APP);
    expect(gh.comment(2, "x", "alice", "User").performed_via_github_app).toBeNull();
    const via = gh.comment(2, "x", "alice", "User", { app: "some-app" });
    expect(via.performed_via_github_app?.slug).toBe("some-app");
    const at = gh.comment(2, "x", "alice", "User", { createdAt: "2026-01-01T00:00:00Z" });
    expect(at.created_at).toBe("2026-01-01T00:00:00Z");
  });
});

describe("the clock", () => {
  it("every write moves it one second on; tick() moves it further", async () => {
    const a = gh.comment(2, "a", "alice", "User");
    const b = (await call("POST", `${REPO}/issues/2/comments`, { body: "b" })).data;
    gh.tick(60);
    const c = gh.edit(a.id, "a, edited");
    expect([a.created_at, b.created_at, c.updated_at]).toEqual([
      "2026-06-01T12:00:01Z",
      "2026-06-01T12:00:02Z",
      "2026-06-01T12:01:03Z",
    ]);
    gh.remove(b.id);
    expect(gh.comments.map((c) => c.body)).toEqual(["a, edited"]);
  });
});

describe("permissions", () => {
  it("on a private repository, someone without a role is Not Found", async () => {
    gh.roles = { maintainer1: "maintain" };
    const ok = await call("GET", `${REPO}/collaborators/maintainer1/permission`);
    expect(ok.data).toMatchObject({ permission: "write", role_name: "maintain" });
    expect((await call("GET", `${REPO}/collaborators/stranger/permission`)).status).toBe(404);
    expect((await call("GET", `${REPO}/collaborators/maintainer1`)).status).toBe(204);
    expect((await call("GET", `${REPO}/collaborators/stranger`)).status).toBe(404);
  });

  it("on a public repository, anyone can read: read, yet not a collaborator", async () => {
    gh.visibility = "public";
    const res = await call("GET", `${REPO}/collaborators/stranger/permission`);
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({
      permission: "read",
      role_name: "read",
      user: { login: "stranger" },
    });
    expect((await call("GET", `${REPO}/collaborators/stranger`)).status).toBe(404);
  });
});

describe("git refs", () => {
  const create = (ref: string, sha: string) => call("POST", `${REPO}/git/refs`, { ref, sha });

  it("creates a ref once; a second is 'Reference already exists'", async () => {
    const ok = await create("refs/aegis/run-1/3", HEAD);
    expect(ok.status).toBe(201);
    expect(ok.data).toMatchObject({ ref: "refs/aegis/run-1/3", object: { sha: HEAD } });
    const again = await create("refs/aegis/run-1/3", GITHUB_SHA);
    expect(again.status).toBe(422);
    expect(again.data).toMatchObject({ message: "Reference already exists", status: "422" });
    expect(gh.refs.get("refs/aegis/run-1/3")).toBe(HEAD);
  });

  it("refuses a commit GitHub does not have, and a bad name", async () => {
    const unknown = await create("refs/aegis/run-1/3", "0".repeat(40));
    expect(unknown.data.message).toBe("Object does not exist");
    const short = await create("refs/aegis", HEAD);
    expect(short.status).toBe(422);
    expect(short.data.message).toMatch(/at least three slash-separated components/);
    expect((await create("aegis/run/1", HEAD)).status).toBe(422);
    expect((await create("refs/aegis/a..b", HEAD)).data.message).toMatch(/not a valid ref name/);
    expect(gh.refs.size).toBe(0);
  });

  it("keeps a text in a blob, tree, commit and ref, and reads it back", async () => {
    const blob = await call("POST", `${REPO}/git/blobs`, {
      content: Buffer.from("state").toString("base64"),
      encoding: "base64",
    });
    expect(blob.data.sha).toBe("7bf05dd280fcc888467656ce1fbdeb65322c7ba8"); // git hash-object
    const tree = await call("POST", `${REPO}/git/trees`, {
      tree: [{ path: "state", mode: "100644", type: "blob", sha: blob.data.sha }],
    });
    const commit = await call("POST", `${REPO}/git/commits`, {
      message: "aegis run state",
      tree: tree.data.sha,
      parents: [],
    });
    expect(gh.commits.has(commit.data.sha)).toBe(true);
    expect((await create("refs/aegis-state/run-1", commit.data.sha)).status).toBe(201);
    const read = await call("GET", `${REPO}/git/blobs/${blob.data.sha}`);
    expect(Buffer.from(read.data.content, "base64").toString()).toBe("state");
    const moved = await call("PATCH", `${REPO}/git/refs/aegis-state%2Frun-1`, {
      sha: GITHUB_SHA,
      force: true,
    });
    expect(moved.status).toBe(200);
    expect(gh.refs.get("refs/aegis-state/run-1")).toBe(GITHUB_SHA);
    expect(gh.violations).toEqual([]);
  });
});

describe("fault injection", () => {
  it("answers matching requests with GitHub's error shape, the given number of times", async () => {
    gh.fail("GET", /\/pulls\/2$/, 502, "Server Error", 1);
    const failed = await call("GET", `${REPO}/pulls/2`);
    expect(failed.status).toBe(502);
    expect(failed.data).toMatchObject({ message: "Server Error", status: "502" });
    expect((await call("GET", `${REPO}/pulls/2`)).status).toBe(200);
    expect(gh.violations).toEqual([]);
  });
});
