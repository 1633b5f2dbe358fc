import { Code, type ErrorCode } from '@udprpc/core';

/**
 * Exit codes of the `udprpc` command. The sysexits(3) numbers are used for
 * usage and input errors so that scripts can tell "you called me wrong" from
 * "the call failed".
 */
export const ExitCode = {
  /** Success. */
  OK: 0,
  /**
   * The command ran but did not succeed as a whole: `ping` got no reply,
   * `bench` no successful call, `describe --group` no description, `health`
   * no answer (the server is unreachable).
   */
  FAILURE: 1,
  /** `health`: the server (or the service asked about) answered NOT_SERVING; also while it drains. */
  NOT_SERVING: 20,
  /** `health`: the server has no service of the name given with `--service`. */
  SERVICE_UNKNOWN: 21,
  /** Bad usage: unknown command or flag, missing or malformed argument (EX_USAGE). */
  USAGE: 64,
  /** The JSON input could not be parsed, or does not match the method's published input schema (EX_DATAERR). */
  DATA: 65,
  /** A bug in the tool itself (EX_SOFTWARE). */
  SOFTWARE: 70,
} as const;

/** An RpcError exits with this number plus the gRPC number of its code: CANCELLED → 3 … UNAUTHENTICATED → 18. */
export const RPC_EXIT_BASE = 2;

/** The exit code for a call that failed with `code`. */
export function exitCodeForRpcError(code: ErrorCode): number {
  return RPC_EXIT_BASE + Code[code];
}

/** The help text's table of exit codes, one `code  meaning` line each. */
export function exitCodeTable(): string {
  const lines = [
    `  ${pad(ExitCode.OK)}success`,
    `  ${pad(ExitCode.FAILURE)}ping: no reply at all; bench: no call succeeded; describe --group: no server described itself; health: unreachable (no answer)`,
  ];
  for (const name of Object.keys(Code) as ErrorCode[]) lines.push(`  ${pad(exitCodeForRpcError(name))}${name}`);
  lines.push(`  ${pad(ExitCode.NOT_SERVING)}health: NOT_SERVING`, `  ${pad(ExitCode.SERVICE_UNKNOWN)}health: SERVICE_UNKNOWN`);
  lines.push(
    `  ${pad(ExitCode.USAGE)}usage error (unknown command or flag, bad argument)`,
    `  ${pad(ExitCode.DATA)}the JSON input does not parse, or does not match the published input schema`,
    `  ${pad(ExitCode.SOFTWARE)}internal error of the tool`,
  );
  return lines.join('\n');
}

function pad(n: number): string {
  return String(n).padEnd(5);
}
