import { parseArgs } from 'node:util';
import { createClient, RpcError } from 'udprpc';
import { checkPositionals, parseIntOption, parseOrUsage, parseTarget, UsageError } from './args.js';
import { MAX_TIMEOUT_MS } from './call-command.js';
import { DEFAULT_COLLECT_MS, describeGroup, MAX_COLLECT_MS } from './describe-group.js';
import { ExitCode, exitCodeForRpcError } from './exit-codes.js';
import { commandHelpText } from './help.js';
import type { CliIo } from './io.js';
import { formatJson } from './json-output.js';
import { reportRpcError } from './rpc-errors.js';
import { asDescription, formatDescription } from './service-description.js';

export { formatDescription } from './service-description.js';

/**
 * `udprpc describe <url> [--json]`: what `udprpc.describe` reports; with
 * `--group`, what every server on a multicast group or broadcast address
 * reports. Returns the exit code.
 */
export async function describeCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOrUsage('describe', () =>
    parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean', default: false },
        timeout: { type: 'string' },
        group: { type: 'boolean', default: false },
        collect: { type: 'string' },
        interface: { type: 'string' },
        ttl: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }),
  );
  if (values.help) {
    io.stdout(commandHelpText('describe'));
    return ExitCode.OK;
  }
  checkPositionals('describe', positionals, 1);
  const url = parseTarget('describe', positionals[0]);
  if (values.group) {
    if (values.timeout !== undefined) throw new UsageError('describe', '--timeout does not apply to --group: use --collect <ms>');
    return describeGroup(
      {
        url,
        collectMs: parseIntOption('describe', '--collect', values.collect ?? String(DEFAULT_COLLECT_MS), 1, MAX_COLLECT_MS),
        iface: values.interface,
        ttl: values.ttl === undefined ? undefined : parseIntOption('describe', '--ttl', values.ttl, 0, 255),
        json: values.json,
      },
      io,
    );
  }
  const groupOnly = (['collect', 'interface', 'ttl'] as const).find((flag) => values[flag] !== undefined);
  if (groupOnly !== undefined) throw new UsageError('describe', `--${groupOnly} needs --group`);
  const timeoutMs = parseIntOption('describe', '--timeout', values.timeout ?? '5000', 1, MAX_TIMEOUT_MS);

  const client = createClient({ url, timeoutMs });
  let reply: unknown;
  try {
    reply = await client.call('udprpc', 'describe', undefined, { timeoutMs, idempotent: true });
  } catch (e) {
    if (RpcError.is(e) && e.code === 'NOT_FOUND' && e.remote) {
      io.stderr(`NOT_FOUND: the server at ${url} does not answer udprpc.describe: its introspection is turned off\n`);
      return exitCodeForRpcError('NOT_FOUND');
    }
    return reportRpcError(e, io);
  } finally {
    await client.close();
  }
  const services = asDescription(reply);
  if (services === undefined) {
    io.stderr(`INTERNAL: the server at ${url} answered udprpc.describe with something that is not a service list\n`);
    return exitCodeForRpcError('INTERNAL');
  }
  io.stdout(values.json ? formatJson(services) : formatDescription(url, services));
  return ExitCode.OK;
}
