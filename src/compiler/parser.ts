// The aegis grammar, as a Chevrotain CST parser with error recovery. Rule names are the
// names shown in grammar/railroad.html; keep them readable.
import {
  type CstNode,
  CstParser,
  type ILookaheadStrategy,
  type IRecognitionException,
  type IToken,
  type Rule,
} from "chevrotain";
import {
  type FollowSets,
  type LookaheadPaths,
  type RecordedNode,
  replayFollows,
  replayLookahead,
  replayNode,
} from "./grammar-record.ts";
import { recordedFollows, recordedGrammar, recordedLookahead } from "./grammar-recorded.ts";
import * as T from "./lexer.ts";
import { lookaheadFromRecording, recordingLookahead } from "./lookahead.ts";

/** What parsing a whole file gives: the tree, the syntax errors, and where it stopped. */
export interface FileParse {
  cst: CstNode;
  errors: IRecognitionException[];
  /** The token at which the parser stopped reading, its error budget spent. */
  stoppedAt?: IToken;
}

const recordError = (
  CstParser.prototype as unknown as {
    SAVE_ERROR(this: CstParser, error: IRecognitionException): IRecognitionException;
  }
).SAVE_ERROR;

/** Chevrotain's token cursor: not in its typings, used to stop reading early. */
interface Cursor {
  tokVector: IToken[];
  tokVectorLength: number;
  currIdx: number;
  maxLookahead: number;
  _errors: IRecognitionException[];
}

/** Chevrotain's grammar recorder (not in its typings): see grammar-record.ts. */
interface Recorder {
  enableRecording(this: CstParser): void;
  disableRecording(this: CstParser): void;
  topLevelRuleRecord(this: CstParser, name: string, rule: () => void): Rule;
}
const recorder = CstParser.prototype as unknown as Recorder;

/** The recorded grammar (grammar-recorded.ts): its rules by name, follow sets and decisions. */
function recorded(): {
  rules: Map<string, Rule>;
  follows: FollowSets;
  lookahead: ILookaheadStrategy;
} {
  const tokens = new Map(T.allTokens.map((token) => [token.name, token]));
  const rules = JSON.parse(recordedGrammar) as RecordedNode[];
  const decisions = JSON.parse(recordedLookahead) as Record<string, string[][][]>;
  return {
    rules: new Map(
      rules.map((rule) => [String(rule.fields.name), replayNode(rule, tokens) as Rule]),
    ),
    follows: replayFollows(JSON.parse(recordedFollows) as Record<string, string[]>, tokens),
    lookahead: lookaheadFromRecording((key) => {
      const paths = decisions[key];
      return paths && replayLookahead(paths, tokens);
    }),
  };
}

/** Chevrotain's parser state set here (not in its typings). */
interface Recovery {
  recoveryEnabled: boolean;
  resyncFollows: FollowSets;
}

const maxLookahead = 3;

export class AegisParser extends CstParser {
  /**
   * Chevrotain's grammar validations are design-time checks, costly at start-up: skipped
   * unless `validate` (the grammar tests validate). A validated parser records its grammar
   * from the rules below; otherwise it is built from the recording (grammar-recorded.ts).
   */
  constructor(validate = false) {
    const recording = validate ? undefined : recorded();
    const lookahead = recording?.lookahead ?? recordingLookahead(maxLookahead);
    super(T.allTokens, {
      recoveryEnabled: true,
      nodeLocationTracking: "onlyOffset",
      maxLookahead,
      lookaheadStrategy: lookahead,
      skipValidations: !validate,
    });
    if (!recording) {
      this.performSelfAnalysis();
      this.lookaheadPaths = (lookahead as ReturnType<typeof recordingLookahead>).paths;
      return;
    }
    const { rules, follows } = recording;
    this.recorded = rules;
    // Chevrotain computes the follow sets in performSelfAnalysis when recovery is on: here
    // they come recorded instead.
    const recovery = this as unknown as Recovery;
    recovery.recoveryEnabled = false;
    this.performSelfAnalysis();
    recovery.recoveryEnabled = true;
    recovery.resyncFollows = follows;
    this.recorded = undefined;
  }

  /** A validating parser's decisions' lookahead paths, for grammar-recorded.ts. */
  lookaheadPaths: LookaheadPaths | undefined;

  /** The recorded grammar's rules while the parser is being built from them. */
  private recorded: Map<string, Rule> | undefined;

  // Chevrotain's recorder, stood in for by the recorded rules when there are some.
  enableRecording(): void {
    if (!this.recorded) recorder.enableRecording.call(this);
  }

  disableRecording(): void {
    if (!this.recorded) recorder.disableRecording.call(this);
  }

  topLevelRuleRecord(name: string, rule: () => void): Rule {
    if (!this.recorded) return recorder.topLevelRuleRecord.call(this, name, rule);
    const recorded = this.recorded.get(name);
    if (!recorded) throw new Error(`grammar-recorded.ts has no rule ${name}: run npm run grammar`);
    return recorded;
  }

  /** The error budget of the parse under way (see SAVE_ERROR). */
  private budget: { max: number; before: readonly number[]; stoppedAt?: IToken } | undefined;

  /**
   * Parses a file, reading on after syntax errors until `maxErrors` of them, counting the
   * errors at the offsets `before` (the lexer's, sorted) among them; then it stops.
   */
  parseFile(
    tokens: readonly IToken[],
    maxErrors: number,
    before: readonly number[] = [],
  ): FileParse {
    return this.parseWith(() => this.file(), tokens, maxErrors, before);
  }

  /** Parses one declaration of a workflow's body (incremental-parse.ts), stopping at its first error. */
  parseWorkflowItem(tokens: readonly IToken[]): FileParse {
    return this.parseWith(() => this.workflowItem(), tokens, 1, []);
  }

  /** Parses a lone expression, stopping at its first syntax error. */
  parseExpression(tokens: readonly IToken[]): FileParse {
    return this.parseWith(() => this.expression(), tokens, 1, []);
  }

  private parseWith(
    rule: () => CstNode,
    tokens: readonly IToken[],
    max: number,
    before: readonly number[],
  ): FileParse {
    // A copy: the parser appends sentinels to its input, and cuts it when it stops.
    this.input = [...tokens];
    this.budget = { max, before };
    try {
      const cst = rule();
      const stoppedAt = this.budget.stoppedAt;
      return { cst, errors: this.errors, ...(stoppedAt && { stoppedAt }) };
    } finally {
      this.budget = undefined;
    }
  }

  /**
   * Chevrotain's (not in its typings), through which every syntax error is recorded; past
   * the budget, it cuts the rest of the input off, so that the parser sees the end of the
   * file and unwinds at once. Recovering from an error costs time, and Chevrotain's recovery
   * inside a repetition re-enters the repetition (one level of stack per error): without a
   * budget, a file of thousands of errors takes seconds and can exhaust the stack.
   */
  SAVE_ERROR(error: IRecognitionException): IRecognitionException {
    const saved = recordError.call(this, error);
    const budget = this.budget;
    if (!budget || budget.stoppedAt) return saved;
    const cursor = this as unknown as Cursor;
    const offset = error.token.startOffset;
    // Errors the lexer found before this point count too.
    let earlier = 0;
    while (earlier < budget.before.length && budget.before[earlier]! <= offset) earlier++;
    if (cursor._errors.length + earlier < budget.max) return saved;
    budget.stoppedAt = error.token;
    // What was read so far is all there is: LA past the length is EOF, and the vector ends
    // in EOF sentinels for the lookahead that does not check the length.
    cursor.tokVectorLength = cursor.currIdx + 1;
    const eof = this.LA(1);
    cursor.tokVector.length = cursor.currIdx + 1;
    for (let i = 0; i <= cursor.maxLookahead; i++) cursor.tokVector.push(eof);
    return saved;
  }

  file = this.RULE("file", () => {
    this.MANY(() => this.SUBRULE(this.importDecl));
    this.MANY2(() => this.SUBRULE(this.workflowDecl));
  });

  importDecl = this.RULE("importDecl", () => {
    this.CONSUME(T.Import);
    this.CONSUME(T.StringLit);
    this.CONSUME(T.As);
    this.CONSUME(T.Name);
    this.OPTION(() => this.CONSUME(T.Semicolon));
  });

  workflowDecl = this.RULE("workflowDecl", () => {
    this.CONSUME(T.Workflow);
    this.CONSUME(T.Name);
    this.OPTION(() => this.SUBRULE(this.template));
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.SUBRULE(this.workflowItem);
      this.OPTION2(() => this.CONSUME(T.Semicolon));
    });
    this.CONSUME(T.RBrace);
  });

  workflowItem = this.RULE("workflowItem", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.versionDecl) },
      { ALT: () => this.SUBRULE(this.descriptionDecl) },
      { ALT: () => this.SUBRULE(this.labelsDecl) },
      { ALT: () => this.SUBRULE(this.annotationsDecl) },
      { ALT: () => this.SUBRULE(this.inputDecl) },
      { ALT: () => this.SUBRULE(this.contextDecl) },
      { ALT: () => this.SUBRULE(this.secretDecl) },
      { ALT: () => this.SUBRULE(this.agentDecl) },
      { ALT: () => this.SUBRULE(this.limitsDecl) },
      { ALT: () => this.SUBRULE(this.startDecl) },
      { ALT: () => this.SUBRULE(this.stateDecl) },
      { ALT: () => this.SUBRULE(this.finalDecl) },
      { ALT: () => this.SUBRULE(this.outputDecl) },
      { ALT: () => this.SUBRULE(this.storageDecl) },
    ]);
  });

  versionDecl = this.RULE("versionDecl", () => {
    this.CONSUME(T.Version);
    this.CONSUME(T.StringLit);
  });

  descriptionDecl = this.RULE("descriptionDecl", () => {
    this.CONSUME(T.Description);
    this.SUBRULE(this.template);
  });

  labelsDecl = this.RULE("labelsDecl", () => {
    this.CONSUME(T.Labels);
    this.SUBRULE(this.object);
  });

  annotationsDecl = this.RULE("annotationsDecl", () => {
    this.CONSUME(T.Annotations);
    this.SUBRULE(this.object);
  });

  inputDecl = this.RULE("inputDecl", () => {
    this.CONSUME(T.Input);
    this.OR([
      // `input *`: the workflow also takes inputs it does not declare.
      { ALT: () => this.CONSUME(T.Star) },
      {
        ALT: () => {
          this.CONSUME(T.Name);
          this.OPTION(() => this.CONSUME(T.Question));
          this.CONSUME(T.Colon);
          this.SUBRULE(this.type);
          this.OPTION2(() => {
            this.CONSUME(T.Equals);
            this.SUBRULE(this.value);
          });
          this.OPTION3(() => this.SUBRULE(this.template));
        },
      },
    ]);
  });

  type = this.RULE("type", () => {
    this.SUBRULE(this.typeAtom);
    this.MANY(() => {
      this.CONSUME(T.Pipe);
      this.SUBRULE2(this.typeAtom);
    });
  });

  typeAtom = this.RULE("typeAtom", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.StringLit) },
      { ALT: () => this.CONSUME(T.NumberLit) },
      {
        ALT: () => {
          this.CONSUME(T.Name);
          this.OPTION(() => {
            this.CONSUME(T.Less);
            this.SUBRULE(this.type);
            this.CONSUME(T.Greater);
          });
        },
      },
    ]);
  });

  contextDecl = this.RULE("contextDecl", () => {
    this.CONSUME(T.Context);
    this.SUBRULE(this.object);
  });

  secretDecl = this.RULE("secretDecl", () => {
    this.CONSUME(T.Secret);
    this.CONSUME(T.Name);
    this.OPTION(() => this.SUBRULE(this.template));
  });

  /** `agent NAME [= PROVIDER(…)] [session]`: `session`, its calls continue one conversation. */
  agentDecl = this.RULE("agentDecl", () => {
    this.CONSUME(T.Agent);
    this.CONSUME(T.Name);
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.providerCall);
    });
    this.OPTION2(() => this.CONSUME(T.Session));
  });

  providerCall = this.RULE("providerCall", () => {
    this.CONSUME(T.Name);
    this.CONSUME(T.LParen);
    this.OPTION(() => this.SUBRULE(this.arguments));
    this.CONSUME(T.RParen);
  });

  arguments = this.RULE("arguments", () => {
    this.SUBRULE(this.argument);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.argument);
    });
    this.OPTION(() => this.CONSUME2(T.Comma));
  });

  argument = this.RULE("argument", () => {
    this.OR([{ ALT: () => this.SUBRULE(this.entry) }, { ALT: () => this.SUBRULE(this.value) }]);
  });

  limitsDecl = this.RULE("limitsDecl", () => {
    this.CONSUME(T.Limits);
    this.SUBRULE(this.object);
  });

  startDecl = this.RULE("startDecl", () => {
    this.CONSUME(T.Start);
    this.CONSUME(T.Name);
  });

  /** `output "template"`, `output { field: "template" }` or `output schema { JSON Schema }`. */
  outputDecl = this.RULE("outputDecl", () => {
    this.CONSUME(T.Output);
    this.OR([
      { ALT: () => this.SUBRULE(this.template) },
      { ALT: () => this.SUBRULE(this.object) },
      {
        ALT: () => {
          this.CONSUME(T.Schema);
          this.SUBRULE2(this.object);
        },
      },
    ]);
  });

  storageDecl = this.RULE("storageDecl", () => {
    this.CONSUME(T.Storage);
    this.SUBRULE(this.object);
  });

  stateDecl = this.RULE("stateDecl", () => {
    this.CONSUME(T.State);
    this.CONSUME(T.Name);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.stateKind);
    this.MANY(() => this.SUBRULE(this.stateSetting));
    this.OPTION(() => this.SUBRULE(this.stateBody));
  });

  finalDecl = this.RULE("finalDecl", () => {
    this.CONSUME(T.Final);
    this.CONSUME(T.Name);
    this.OPTION(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Success) }, { ALT: () => this.CONSUME(T.Failure) }]);
    });
    this.OPTION2(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.stateKind);
      this.MANY(() => this.SUBRULE(this.stateSetting));
    });
    this.OPTION3(() => this.SUBRULE(this.stateBody));
  });

  stateKind = this.RULE("stateKind", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.agentKind) },
      { ALT: () => this.CONSUME(T.Human) },
      { ALT: () => this.SUBRULE(this.runKind) },
      { ALT: () => this.CONSUME(T.Parallel) },
      { ALT: () => this.SUBRULE(this.containerKind) },
      { ALT: () => this.SUBRULE(this.subworkflowKind) },
      { ALT: () => this.SUBRULE(this.foreachKind) },
      { ALT: () => this.SUBRULE(this.loopKind) },
      { ALT: () => this.CONSUME(T.Branch) },
      { ALT: () => this.SUBRULE(this.coordinateKind) },
      { ALT: () => this.CONSUME(T.Containers) },
    ]);
  });

  /** `agent NAME`, or `agent "name-{{input.x}}"` for an agent chosen at run time. */
  agentKind = this.RULE("agentKind", () => {
    this.CONSUME(T.Agent);
    this.OR([{ ALT: () => this.CONSUME(T.Name) }, { ALT: () => this.SUBRULE(this.template) }]);
  });

  runKind = this.RULE("runKind", () => {
    this.CONSUME(T.Run);
    this.OR([{ ALT: () => this.SUBRULE(this.template) }, { ALT: () => this.SUBRULE(this.list) }]);
  });

  containerKind = this.RULE("containerKind", () => {
    this.CONSUME(T.Container);
    this.SUBRULE(this.template);
  });

  subworkflowKind = this.RULE("subworkflowKind", () => {
    this.CONSUME(T.Subworkflow);
    this.CONSUME(T.Name);
    this.OPTION(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Detached) }, { ALT: () => this.CONSUME(T.Blocking) }]);
    });
  });

  foreachKind = this.RULE("foreachKind", () => {
    this.CONSUME(T.Foreach);
    this.CONSUME(T.Name);
    this.CONSUME(T.In);
    this.SUBRULE(this.expression);
    this.CONSUME(T.Agent);
    this.CONSUME2(T.Name);
  });

  loopKind = this.RULE("loopKind", () => {
    this.CONSUME(T.Loop);
    this.CONSUME(T.Agent);
    this.CONSUME(T.Name);
  });

  coordinateKind = this.RULE("coordinateKind", () => {
    this.CONSUME(T.Coordinate);
    this.SUBRULE(this.nameList);
    this.CONSUME(T.By);
    this.CONSUME(T.Name);
  });

  nameList = this.RULE("nameList", () => {
    this.CONSUME(T.LBracket);
    this.OPTION(() => {
      this.CONSUME(T.Name);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.CONSUME2(T.Name);
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RBracket);
  });

  stateSetting = this.RULE("stateSetting", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Timeout);
          this.CONSUME(T.Duration);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Visits);
          this.CONSUME(T.NumberLit);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Retry);
          this.CONSUME2(T.NumberLit);
          this.OPTION(() => {
            this.CONSUME(T.Backoff);
            this.CONSUME2(T.Duration);
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Errors);
          this.CONSUME(T.Name);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Concurrency);
          this.CONSUME3(T.NumberLit);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Max);
          this.CONSUME4(T.NumberLit);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Steps);
          this.CONSUME5(T.NumberLit);
          this.OPTION2(() => {
            this.CONSUME(T.Then);
            this.CONSUME2(T.Name);
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Until);
          this.SUBRULE(this.expression);
        },
      },
      // `session NAME`: the named conversation the state's agent calls continue.
      {
        ALT: () => {
          this.CONSUME(T.Session);
          this.CONSUME3(T.Name);
        },
      },
    ]);
  });

  stateBody = this.RULE("stateBody", () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.stateSetting) },
        { ALT: () => this.SUBRULE(this.stateStatement) },
        { ALT: () => this.SUBRULE(this.transition) },
      ]);
      this.OPTION(() => this.CONSUME(T.Semicolon));
    });
    this.CONSUME(T.RBrace);
  });

  stateStatement = this.RULE("stateStatement", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Prompt);
          this.SUBRULE(this.template);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Intent);
          this.SUBRULE2(this.template);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Input);
          this.SUBRULE(this.value);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Output);
          this.SUBRULE2(this.value);
        },
      },
      { ALT: () => this.SUBRULE(this.judge) },
      {
        ALT: () => {
          this.CONSUME(T.Consensus);
          this.SUBRULE(this.object);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Env);
          this.SUBRULE2(this.object);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Workdir);
          this.SUBRULE3(this.template);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Command);
          this.SUBRULE3(this.value);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Volumes);
          this.SUBRULE3(this.object);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Resources);
          this.SUBRULE4(this.object);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Options);
          this.SUBRULE5(this.object);
        },
      },
      // One container of a `containers` state: `container NAME "image" { command: [...] }`.
      {
        ALT: () => {
          this.CONSUME(T.Container);
          this.CONSUME2(T.Name);
          this.SUBRULE5(this.template);
          this.OPTION(() => this.SUBRULE7(this.object));
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Handler);
          this.SUBRULE6(this.object);
        },
      },
      // A human gate: the states its approval guards (`protects [DEPLOY, MIGRATE]`).
      {
        ALT: () => {
          this.CONSUME(T.Protects);
          this.SUBRULE(this.nameList);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Result);
          this.CONSUME(T.Name);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Default);
          this.SUBRULE4(this.value);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Iterations);
          this.CONSUME(T.NumberLit);
        },
      },
    ]);
  });

  judge = this.RULE("judge", () => {
    this.CONSUME(T.Judge);
    this.CONSUME(T.Name);
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            this.CONSUME(T.Weight);
            this.CONSUME(T.NumberLit);
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Timeout);
            this.CONSUME(T.Duration);
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Prompt);
            this.SUBRULE(this.template);
          },
        },
      ]);
    });
  });

  transition = this.RULE("transition", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.On);
          this.SUBRULE(this.condition);
        },
      },
      { ALT: () => this.CONSUME(T.Otherwise) },
    ]);
    this.CONSUME(T.Arrow);
    this.CONSUME(T.Name);
    this.OPTION(() => {
      this.CONSUME(T.Feedback);
      this.SUBRULE(this.template);
    });
  });

  condition = this.RULE("condition", () => {
    this.SUBRULE(this.expression);
  });

  // ------------------------------------------------------------ expressions

  expression = this.RULE("expression", () => {
    this.SUBRULE(this.andExpr);
    this.MANY(() => {
      this.CONSUME(T.Or);
      this.SUBRULE2(this.andExpr);
    });
  });

  andExpr = this.RULE("andExpr", () => {
    this.SUBRULE(this.notExpr);
    this.MANY(() => {
      this.CONSUME(T.And);
      this.SUBRULE2(this.notExpr);
    });
  });

  notExpr = this.RULE("notExpr", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Not);
          this.SUBRULE(this.notExpr);
        },
      },
      { ALT: () => this.SUBRULE(this.comparison) },
    ]);
  });

  comparison = this.RULE("comparison", () => {
    this.SUBRULE(this.additive);
    this.OPTION(() => {
      this.OR([
        {
          ALT: () => {
            this.OR2([
              { ALT: () => this.CONSUME(T.EqEq) },
              { ALT: () => this.CONSUME(T.NotEq) },
              { ALT: () => this.CONSUME(T.LessEq) },
              { ALT: () => this.CONSUME(T.GreaterEq) },
              { ALT: () => this.CONSUME(T.Less) },
              { ALT: () => this.CONSUME(T.Greater) },
              { ALT: () => this.CONSUME(T.Contains) },
              { ALT: () => this.CONSUME(T.Matches) },
              { ALT: () => this.CONSUME(T.In) },
            ]);
            this.SUBRULE2(this.additive);
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.Between);
            this.SUBRULE3(this.additive);
            this.CONSUME(T.And);
            this.SUBRULE4(this.additive);
          },
        },
      ]);
    });
  });

  additive = this.RULE("additive", () => {
    this.SUBRULE(this.multiplicative);
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Plus) }, { ALT: () => this.CONSUME(T.Minus) }]);
      this.SUBRULE2(this.multiplicative);
    });
  });

  multiplicative = this.RULE("multiplicative", () => {
    this.SUBRULE(this.unary);
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Star) }, { ALT: () => this.CONSUME(T.Slash) }]);
      this.SUBRULE2(this.unary);
    });
  });

  unary = this.RULE("unary", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Minus);
          this.SUBRULE(this.unary);
        },
      },
      { ALT: () => this.SUBRULE(this.primary) },
    ]);
  });

  primary = this.RULE("primary", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.StringLit) },
      { ALT: () => this.CONSUME(T.NumberLit) },
      { ALT: () => this.CONSUME(T.Duration) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.CONSUME(T.Null) },
      // `exit 0`, `exit zero`, `exit nonzero`: sugar for comparisons of exit_code.
      {
        ALT: () => {
          this.CONSUME(T.Exit);
          this.OR2([
            { ALT: () => this.CONSUME2(T.NumberLit) },
            { ALT: () => this.CONSUME(T.Identifier) },
          ]);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.expression);
          this.CONSUME(T.RParen);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.OPTION(() => {
            this.SUBRULE2(this.expression);
            this.MANY(() => {
              this.CONSUME(T.Comma);
              this.SUBRULE3(this.expression);
            });
          });
          this.CONSUME(T.RBracket);
        },
      },
      { ALT: () => this.SUBRULE(this.reference) },
    ]);
  });

  /** `REVIEW.output.items[0]`, `AUDIT.agents.0.score`, or a call `len(X.results)`. */
  reference = this.RULE("reference", () => {
    this.CONSUME(T.Name);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.OPTION(() => {
            this.SUBRULE(this.expression);
            this.MANY(() => {
              this.CONSUME(T.Comma);
              this.SUBRULE2(this.expression);
            });
          });
          this.CONSUME(T.RParen);
        },
      },
      {
        ALT: () => {
          this.MANY2(() => {
            this.OR2([
              {
                ALT: () => {
                  this.CONSUME(T.Dot);
                  this.OR3([
                    { ALT: () => this.CONSUME2(T.Name) },
                    { ALT: () => this.CONSUME(T.NumberLit) },
                  ]);
                },
              },
              {
                ALT: () => {
                  this.CONSUME(T.LBracket);
                  this.CONSUME2(T.NumberLit);
                  this.CONSUME(T.RBracket);
                },
              },
            ]);
          });
        },
      },
    ]);
  });

  // ------------------------------------------------------------ values

  template = this.RULE("template", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.StringLit) },
      { ALT: () => this.CONSUME(T.TripleString) },
    ]);
  });

  value = this.RULE("value", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.template) },
      {
        ALT: () => {
          this.OPTION(() => this.CONSUME(T.Minus));
          this.CONSUME(T.NumberLit);
        },
      },
      { ALT: () => this.CONSUME(T.Duration) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.CONSUME(T.Null) },
      { ALT: () => this.SUBRULE(this.list) },
      { ALT: () => this.SUBRULE(this.object) },
      {
        ALT: () => {
          this.CONSUME(T.Name);
          this.OPTION2(() => {
            this.CONSUME(T.LParen);
            this.OPTION3(() => this.SUBRULE(this.arguments));
            this.CONSUME(T.RParen);
          });
        },
      },
    ]);
  });

  list = this.RULE("list", () => {
    this.CONSUME(T.LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.value);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.value);
      });
      this.OPTION2(() => this.CONSUME2(T.Comma));
    });
    this.CONSUME(T.RBracket);
  });

  /** `{ key: value, … }`; commas between entries are optional (newlines suffice). */
  object = this.RULE("object", () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.SUBRULE(this.entry);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RBrace);
  });

  entry = this.RULE("entry", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Name) }, { ALT: () => this.CONSUME(T.StringLit) }]);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.value);
  });
}

let shared: AegisParser | undefined;
/** The parser is stateful but reusable; building it (self-analysis) is the costly part. */
export function getParser(): AegisParser {
  shared ??= new AegisParser();
  return shared;
}
