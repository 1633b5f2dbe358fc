import { parseArgs } from 'node:util';
import { createClient } from 'udprpc';
import { checkPositionals, parseIntOption, parseMethodPath, parseOrUsage, parseTarget, readJsonInput } from './args.js';
import { ExitCode } from './exit-codes.js';
import { commandHelpText } from './help.js';
import type { CliIo } from './io.js';
import { checkInput, publishedInputSchema } from './input-check.js';
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
        'no-check': { type: 'boolean', default: false },
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
  const deadline = performance.now() + timeoutMs;
  try {
    if (!values['no-check']) {
      const schema = await publishedInputSchema(client, service, method, timeoutMs);
      const issues = schema === undefined ? undefined : checkInput(schema, input);
      if (issues !== undefined && issues.length > 0) {
        io.stderr(`INVALID_ARGUMENT: the argument does not match the input schema ${service}.${method} publishes; not sent\n`);
        io.stderr(formatJson({ issues }));
        return ExitCode.DATA;
      }
    }
    // One time budget for the whole command: the schema lookup counts against it.
    const remainingMs = Math.max(1, Math.ceil(deadline - performance.now()));
    const result = await client.call(service, method, input, { timeoutMs: remainingMs, idempotent: values.idempotent });
    io.stdout(formatJson(result));
    return ExitCode.OK;
  } catch (e) {
    return reportRpcError(e, io);
  } finally {
    await client.close();
  }
}
