import { DataError, UsageError } from './args.js';
import { benchCommand } from './bench-command.js';
import { callCommand } from './call-command.js';
import { describeCommand } from './describe-command.js';
import { ExitCode } from './exit-codes.js';
import { commandHelpText, isCommandName, toolHelp, usageText, type CommandName } from './help.js';
import type { CliIo } from './io.js';
import { pingCommand } from './ping-command.js';
import { healthCommand } from './health-command.js';
import { cliVersion } from './version.js';

const commands: Record<CommandName, (argv: readonly string[], io: CliIo) => Promise<number>> = {
  call: callCommand,
  describe: describeCommand,
  ping: pingCommand,
  health: healthCommand,
  bench: benchCommand,
};

/**
 * Runs the `udprpc` command line `argv` (without the node and script paths)
 * and resolves with its exit code. Never rejects and never exits the
 * process: output goes through `io`, so tests can run it in-process.
 *
 * @example
 * const code = await run(['call', 'udp://127.0.0.1:4000', 'calc.add', '{"a":1,"b":2}'], {
 *   stdout: (t) => process.stdout.write(t),
 *   stderr: (t) => process.stderr.write(t),
 * });
 */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`udprpc${e.command === undefined ? '' : ` ${e.command}`}: ${e.message}\n\n`);
      io.stderr(usageText(e.command !== undefined && isCommandName(e.command) ? e.command : undefined));
      return ExitCode.USAGE;
    }
    if (e instanceof DataError) {
      io.stderr(`udprpc: ${e.message}\n`);
      return ExitCode.DATA;
    }
    io.stderr(`udprpc: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return ExitCode.SOFTWARE;
  }
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h') {
    io.stdout(toolHelp());
    return ExitCode.OK;
  }
  if (first === '--version' || first === '-v') {
    if (rest.length > 0) throw new UsageError(undefined, `--version takes no arguments`);
    io.stdout(`${cliVersion()}\n`);
    return ExitCode.OK;
  }
  if (first === 'help') {
    const topic = rest[0];
    if (rest.length > 1) throw new UsageError(undefined, `help takes one command, got ${rest.length}`);
    if (topic === undefined) io.stdout(toolHelp());
    else if (isCommandName(topic)) io.stdout(commandHelpText(topic));
    else throw new UsageError(undefined, `unknown command ${JSON.stringify(topic)}`);
    return ExitCode.OK;
  }
  if (first === undefined) throw new UsageError(undefined, 'missing command');
  if (!isCommandName(first)) {
    throw new UsageError(undefined, first.startsWith('-') ? `unknown option ${first}` : `unknown command ${JSON.stringify(first)}`);
  }
  return commands[first](rest, io);
}
