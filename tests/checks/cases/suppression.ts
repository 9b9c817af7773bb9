// Trigger cases for the codes about the compiler itself and files (AEG001, AEG002).
import { compileFile } from "../../../src/compiler/compile.ts";
import { workflow } from "../../helpers/compile.ts";
import type { TriggerCase } from "../../helpers/triggers.ts";

/** A valid workflow on disk, among the baseline fixtures' imports. */
export const existingFile = new URL("../../fixtures/diagnostics/lib/notify.aegis", import.meta.url)
  .pathname;

export const suppressionCases: TriggerCase[] = [
  {
    code: "AEG001",
    title: "a suppression of a finding that is not there",
    trigger: workflow(`
      // aegis-ignore AEG502 -- the critic is wired in later
      agent critic = claude()
      state A = agent bot {
        judge critic
        on success -> DONE
        otherwise -> FAILED
      }
    `),
    at: "4:3",
    clean: workflow(`
      // aegis-ignore AEG502 -- the critic is wired in later
      agent critic = claude()
      state A = agent bot {
        prompt "draft"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
  },
  {
    code: "AEG002",
    title: "compileFile on a path that does not exist",
    trigger: "/nonexistent/aegis-tests/missing.aegis",
    at: "1:1",
    clean: existingFile,
    compileWith: (path) => compileFile(path),
  },
];
