// The language server keeps only what is open: a document closed leaves nothing behind (its
// analysis and incremental parser), so a long session's memory follows what the editor has
// open. In process, over a pair of streams, to look inside.
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createConnection } from "vscode-languageserver/node";
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from "vscode-languageserver-protocol/node";
import { startLanguageServer } from "../../src/lsp/server.ts";

describe("aegis lsp's memory", () => {
  it("forgets a document when it is closed", async () => {
    const toServer = new PassThrough();
    const toClient = new PassThrough();
    const server = startLanguageServer(createConnection(toServer, toClient));
    const client = createProtocolConnection(
      new StreamMessageReader(toClient),
      new StreamMessageWriter(toServer),
    );
    client.listen();
    await client.sendRequest("initialize", { processId: null, rootUri: null, capabilities: {} });
    const text = "workflow w {\n  start DONE\n  final DONE\n}\n";
    for (let i = 0; i < 50; i++) {
      const uri = `file:///tmp/doc-${i}.aegis`;
      await client.sendNotification("textDocument/didOpen", {
        textDocument: { uri, languageId: "aegis", version: 1, text },
      });
      // Its symbols are asked for: the document is analysed.
      await client.sendRequest("textDocument/documentSymbol", { textDocument: { uri } });
      expect(server.analysis(uri)).toBeDefined();
      await client.sendNotification("textDocument/didClose", { textDocument: { uri } });
      await client.sendRequest("textDocument/documentSymbol", { textDocument: { uri } });
      expect(server.analysis(uri)).toBeUndefined();
    }
    client.dispose();
    server.connection.dispose();
  });
});
