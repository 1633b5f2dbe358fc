import { parseArgs } from 'node:util';
import { createClient, RpcError, type ServiceDescription } from 'udprpc';
import { checkPositionals, parseIntOption, parseOrUsage, parseTarget } from './args.js';
import { MAX_TIMEOUT_MS } from './call-command.js';
import { ExitCode, exitCodeForRpcError } from './exit-codes.js';
import { commandHelpText } from './help.js';
import type { CliIo } from './io.js';
import { formatJson } from './json-output.js';
import { reportRpcError } from './rpc-errors.js';

/** `udprpc describe <url> [--json]`: what `udprpc.describe` reports. Returns the exit code. */
export async function describeCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOrUsage('describe', () =>
    parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean', default: false },
        timeout: { type: 'string', default: '5000' },
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
  const timeoutMs = parseIntOption('describe', '--timeout', values.timeout, 1, MAX_TIMEOUT_MS);

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

/** Formats a description as text: one block per service, one line per method with its delivery semantics. */
export function formatDescription(url: string, services: readonly ServiceDescription[]): string {
  if (services.length === 0) return `${url} serves no services\n`;
  const width = Math.max(...services.flatMap((s) => s.methods.map((m) => s.service.length + 1 + m.name.length)));
  const blocks = services.map((s) => {
    const count = `${s.methods.length} method${s.methods.length === 1 ? '' : 's'}`;
    const lines = s.methods.map(
      (m) => `  ${`${s.service}.${m.name}`.padEnd(width)}  ${m.idempotent ? 'idempotent' : 'at-most-once'}`,
    );
    return [`${s.service} (${count})`, ...lines].join('\n');
  });
  return `${blocks.join('\n\n')}\n`;
}

// Checks the reply's shape rather than trusting the peer.
function asDescription(value: unknown): ServiceDescription[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const services: ServiceDescription[] = [];
  for (const s of value as unknown[]) {
    if (typeof s !== 'object' || s === null) return undefined;
    const { service, methods } = s as { service?: unknown; methods?: unknown };
    if (typeof service !== 'string' || !Array.isArray(methods)) return undefined;
    const list: ServiceDescription['methods'] = [];
    for (const m of methods as unknown[]) {
      const { name, idempotent } = (m ?? {}) as { name?: unknown; idempotent?: unknown };
      if (typeof name !== 'string') return undefined;
      list.push({ name, idempotent: idempotent === true });
    }
    services.push({ service, methods: list });
  }
  return services;
}
