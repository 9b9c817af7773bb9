// The module of Handlebars' own package that holds its parser (see
// src/compiler/handlebars-parser.ts); the package's typings describe only its root.
declare module "handlebars/dist/cjs/handlebars/compiler/base.js" {
  export function parseWithoutProcessing(input: string): hbs.AST.Program;
}
