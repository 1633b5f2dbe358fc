import { parseArgs } from 'node:util';
import { createClient, RpcError, type HealthStatus } from 'udprpc';
import { checkPositionals, parseIntOption, parseOrUsage, parseTarget } from './args.js';
import { MAX_TIMEOUT_MS } from './call-command.js';
import { ExitCode } from './exit-codes.js';
import { commandHelpText } from './help.js';
import type { CliIo } from './io.js';
import { reportRpcError } from './rpc-errors.js';

/** Exit code of `udprpc health` for each status the server can answer. */
export const HealthExitCode = {
  /** 0: the server (or the service asked for) is serving. */
  SERVING: ExitCode.OK,
  /** 20: it answers, but is not serving (set so, or draining). */
  NOT_SERVING: ExitCode.NOT_SERVING,
  /** 21: the server knows no service of that name. */
  SERVICE_UNKNOWN: ExitCode.SERVICE_UNKNOWN,
} as const satisfies Record<HealthStatus, number>;

/**
 * `udprpc health <url> [--service name]`: asks the built-in `udprpc.health`
 * and prints the status. Exits 0 when SERVING, 20 NOT_SERVING, 21
 * SERVICE_UNKNOWN, 1 when no answer came (nothing listening, or no reply
 * within --timeout), and 2 + the gRPC number for any other error.
 */
export async function healthCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOrUsage('health', () =>
    parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        service: { type: 'string' },
        timeout: { type: 'string', default: '5000' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }),
  );
  if (values.help) {
    io.stdout(commandHelpText('health'));
    return ExitCode.OK;
  }
  checkPositionals('health', positionals, 1);
  const url = parseTarget('health', positionals[0]);
  const timeoutMs = parseIntOption('health', '--timeout', values.timeout, 1, MAX_TIMEOUT_MS);
  const client = createClient({ url, timeoutMs });
  try {
    const status = await client.health({ timeoutMs, ...(values.service === undefined ? {} : { service: values.service }) });
    io.stdout(`${status}\n`);
    return HealthExitCode[status];
  } catch (e) {
    // No answer at all: our own deadline, or refusals from a port nobody listens on.
    if (RpcError.is(e) && !e.remote && (e.code === 'DEADLINE_EXCEEDED' || e.code === 'UNAVAILABLE')) {
      io.stderr(`UNREACHABLE: ${e.code}: ${e.message}\n`);
      return ExitCode.FAILURE;
    }
    return reportRpcError(e, io);
  } finally {
    await client.close();
  }
}
