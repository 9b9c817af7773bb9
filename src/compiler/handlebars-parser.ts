// Handlebars' parser alone. The compiler reads templates but never renders them, and the
// parser is a small part of the package: its compiler to JavaScript and its runtime (what
// `import "handlebars"` loads) cost a compile that only checks ~15 ms more to start.
// The runtime, which renders, imports the whole package; both share these same modules.
import type {} from "handlebars";
import { parseWithoutProcessing as parse } from "handlebars/dist/cjs/handlebars/compiler/base.js";

/** Parses a template to Handlebars' tree, without its whitespace processing; throws on a syntax error. */
export const parseTemplate: (text: string) => hbs.AST.Program = parse;
