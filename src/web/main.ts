// The aegis web viewer: a single page over the server's API. Each route renders a view into
// <main>; leaving the route aborts what the view follows (its event streams, its requests).
import { ApiError, setToken, token } from "./api.ts";
import { announce, h, replace } from "./dom.ts";
import { currentRoute, type Route } from "./router.ts";
import { runView } from "./views/run.ts";
import { runsView } from "./views/runs.ts";
import { workflowsView, workflowView } from "./views/workflows.ts";

export interface ViewContext {
  signal: AbortSignal;
  /** Shows a failure in place of the view (a 401 asks for a token). */
  fail(error: unknown): void;
}

type View = (main: HTMLElement, route: Route, ctx: ViewContext) => void | Promise<void>;

function viewOf(route: Route): { view: View; nav: string } {
  const [first, second] = route.path;
  if (first === "runs" && second !== undefined) return { view: runView, nav: "runs" };
  if (first === "workflows" && second !== undefined)
    return { view: workflowView, nav: "workflows" };
  if (first === "workflows") return { view: workflowsView, nav: "workflows" };
  return { view: runsView, nav: "runs" };
}

let current: AbortController | undefined;

function tokenForm(main: HTMLElement, error: ApiError): void {
  const input = h("input", {
    id: "token",
    name: "token",
    type: "password",
    autocomplete: "off",
    required: true,
    "data-testid": "token-input",
  });
  const form = h(
    "form",
    {
      class: "card token-form",
      "data-testid": "token-form",
      onsubmit: (event: Event) => {
        event.preventDefault();
        setToken(input.value.trim() || null);
        void render();
      },
    },
    h("h1", {}, "Sign in"),
    h(
      "p",
      {},
      token()
        ? `The server refused the token (${error.detail ?? error.title}). Give another.`
        : "This server needs a bearer token. It is kept for this browser tab only.",
    ),
    h("label", { for: "token" }, "Token"),
    input,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Use token")),
  );
  replace(main, form);
  input.focus();
}

function failure(main: HTMLElement, error: unknown): void {
  if (error instanceof ApiError && error.unauthorized) {
    tokenForm(main, error);
    return;
  }
  if ((error as Error)?.name === "AbortError") return;
  const text =
    error instanceof ApiError
      ? `${error.title}${error.detail ? `: ${error.detail}` : ""}`
      : String((error as Error)?.message ?? error);
  replace(
    main,
    h(
      "div",
      { class: "card error", role: "alert", "data-testid": "error" },
      h("h1", {}, "Something went wrong"),
      h("p", {}, text),
      h("p", {}, h("a", { href: "#/runs" }, "Back to the runs")),
    ),
  );
}

async function render(): Promise<void> {
  // A control that had the focus (a filter changed with the keyboard) has it again after.
  const focusedId = (document.activeElement as HTMLElement | null)?.id;
  current?.abort();
  const controller = new AbortController();
  current = controller;
  const main = document.getElementById("main")!;
  const route = currentRoute();
  const { view, nav } = viewOf(route);
  for (const link of document.querySelectorAll<HTMLAnchorElement>("[data-nav]")) {
    if (link.dataset.nav === nav) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  replace(main, h("p", { class: "loading" }, "Loading…"));
  const ctx: ViewContext = {
    signal: controller.signal,
    fail: (error) => {
      if (controller.signal.aborted) return;
      controller.abort();
      failure(main, error);
    },
  };
  try {
    await view(main, route, ctx);
  } catch (error) {
    ctx.fail(error);
  }
  if (focusedId && focusedId !== "main") document.getElementById(focusedId)?.focus();
}

let lastPath = "";
window.addEventListener("hashchange", () => {
  const path = currentRoute().path.join("/");
  const moved = path !== lastPath;
  lastPath = path;
  void render().then(() => {
    if (!moved) return;
    // A new page: focus goes to its heading, and screen readers hear its title.
    const heading = document.querySelector<HTMLElement>("main h1");
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: false });
      announce(heading.textContent ?? "");
    }
  });
});

document.addEventListener("click", (event) => {
  const link = (event.target as Element | null)?.closest?.("a.skip");
  if (!link) return;
  event.preventDefault();
  document.getElementById("main")?.focus();
});

lastPath = currentRoute().path.join("/");
if (!location.hash) history.replaceState(null, "", "#/runs");
void render();
