import { parseArgs } from 'node:util';
import { createClient } from 'udprpc';
import { checkPositionals, parseIntOption, parseMethodPath, parseOrUsage, parseTarget, readJsonInput } from './args.js';
import { ExitCode } from './exit-codes.js';
import { commandHelpText } from './help.js';
import type { CliIo } from './io.js';
import { formatJson } from './json-output.js';
import { reportRpcError } from './rpc-errors.js';

/** Largest accepted `--timeout`, in ms (one hour). */
export const MAX_TIMEOUT_MS = 3_600_000;

/** `udprpc call <url> <service.method> [json|-]`: one call, JSON out. Returns the exit code. */
export async function callCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOrUsage('call', () =>
    parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        timeout: { type: 'string', default: '5000' },
        idempotent: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }),
  );
  if (values.help) {
    io.stdout(commandHelpText('call'));
    return ExitCode.OK;
  }
  checkPositionals('call', positionals, 3);
  const url = parseTarget('call', positionals[0]);
  const { service, method } = parseMethodPath('call', positionals[1]);
  const timeoutMs = parseIntOption('call', '--timeout', values.timeout, 1, MAX_TIMEOUT_MS);
  const input = await readJsonInput('call', positionals[2], io);

  const client = createClient({ url, timeoutMs });
  try {
    const result = await client.call(service, method, input, { timeoutMs, idempotent: values.idempotent });
    io.stdout(formatJson(result));
    return ExitCode.OK;
  } catch (e) {
    return reportRpcError(e, io);
  } finally {
    await client.close();
  }
}
