/**
 * Everything a command needs from its process, injected so that tests can run
 * commands in-process and capture their output.
 */
export interface CliIo {
  /** Writes to standard output (results: JSON, tables, summaries). */
  stdout(text: string): void;
  /** Writes to standard error (errors, usage, progress). */
  stderr(text: string): void;
  /** Reads all of standard input; used when an input argument is `-`. */
  readStdin?: () => Promise<string>;
  /** Whether stderr is a terminal: progress is redrawn in place with `\r` only then. */
  stderrIsTTY?: boolean;
  /** Aborted on Ctrl-C: `ping` and `bench` stop early and still print their summary. */
  signal?: AbortSignal;
}
