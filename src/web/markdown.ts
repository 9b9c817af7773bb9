// Gate prompts and other text written by workflows, agents and the people who start runs,
// rendered as Markdown. The text is hostile: raw HTML is escaped (html: false), images are
// not rendered (no requests to hosts the text names), and links must be http(s).
import MarkdownIt from "markdown-it";

const md = new MarkdownIt({ html: false, linkify: true, typographer: false });
md.disable("image");
md.validateLink = (url: string) => /^https?:\/\//i.test(url.trim());

const defaultLink =
  md.renderer.rules.link_open ??
  ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  tokens[idx]!.attrSet("rel", "noopener noreferrer nofollow");
  tokens[idx]!.attrSet("referrerpolicy", "no-referrer");
  return defaultLink(tokens, idx, options, env, self);
};

/** `text` rendered as Markdown into a new element (markdown-it's escaped output only). */
export function markdown(text: string, className = "markdown"): HTMLDivElement {
  const el = document.createElement("div");
  el.className = className;
  el.innerHTML = md.render(text);
  return el;
}
