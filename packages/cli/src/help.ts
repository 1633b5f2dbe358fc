import { exitCodeTable } from './exit-codes.js';

/** The help of one command: a one-line summary, usage lines and details. */
export interface CommandHelp {
  readonly summary: string;
  readonly usage: string;
  readonly details: string;
}

const timeoutLine = '  --timeout <ms>        time budget of each call in ms (default 5000)';

/** Help of every command, by name. */
export const commandHelp = {
  call: {
    summary: 'call one method and print its result as JSON',
    usage: "udprpc call <udp://host:port> <service.method> ['<json>' | -] [options]",
    details: `Calls service.method with the JSON input (omitted: no argument; "-": read
it from stdin) and prints the result as JSON on stdout. When the call fails,
prints "CODE: message" (and the error details as JSON, if any) on stderr and
exits with 2 + the code's gRPC number (see "udprpc help").

If the server publishes a JSON Schema for the method's argument (udprpc
describe), the input is checked against it first: when it does not match, the
issues are printed on stderr as {"issues": [{"path", "message"}]} and nothing
is sent (exit 65). The lookup shares the --timeout budget.

Options:
${timeoutLine}
  --idempotent          the method may run more than once: the server skips its
                        reply cache (use only for methods declared idempotent)
  --no-check            do not look up the published input schema; send as is
  -h, --help            show this help

Example:
  udprpc call udp://127.0.0.1:4000 calc.add '{"a":1,"b":2}'
  echo '{"a":1,"b":2}' | udprpc call udp://127.0.0.1:4000 calc.add -`,
  },
  describe: {
    summary: 'list the services and methods of a server, or of every server on a group',
    usage: 'udprpc describe <udp://host:port> [--json] [--group [--collect <ms>] [--interface <ip>] [--ttl <n>]] [options]',
    details: `Asks the server's built-in udprpc.describe method for its services and
methods, and whether each method is idempotent (may run more than once) or
at-most-once, with the JSON Schemas of its argument and result when its
contract has schemas that publish them. Servers created with
{ introspection: false } answer NOT_FOUND.

With --group, the URL is a multicast group (udp://239.255.0.1:4000,
udp://[ff15::1]:4000) or an IPv4 broadcast address: the request goes to every
server listening there, and each one that answers within --collect is listed
under its own address (call it directly with that URL). Exits 1 when no server
described itself.

Options:
  --json                print the description as JSON:
                        [{"service", "methods": [{"name", "idempotent",
                        "inputSchema"?, "outputSchema"?}]}];
                        with --group: [{"url", "address", "port", "services"}]
                        (or "error": {"code", "message"} instead of "services")
${timeoutLine}
  --group               discover every server on a multicast/broadcast address
  --collect <ms>        --group: how long to collect answers, 1 to 10000
                        (default 1000)
  --interface <ip>      --group: outgoing multicast interface, an IPv4 address
                        (127.0.0.1) or an IPv6 scope (::%eth0); default: the OS's
  --ttl <n>             --group: multicast TTL, 0 to 255; 0 stays on this host
                        (default: the OS's, usually 1)
  -h, --help            show this help

Example:
  udprpc describe udp://239.255.0.1:4000 --group --interface 127.0.0.1 --ttl 0`,
  },
  ping: {
    summary: 'measure round-trip time with protocol PING frames',
    usage: 'udprpc ping <udp://host:port> [-c <count>] [-i <ms>] [--timeout <ms>]',
    details: `Sends PING frames and times the server's PONG replies, like ping(8). A PING
is answered by the server's protocol engine without running any handler, so
this measures the network and the event loops, not the methods. Ctrl-C stops
early and prints the summary. Exits 1 when no reply arrived at all.

Options:
  -c, --count <n>       probes to send, 1 to 100000 (default 5)
  -i, --interval <ms>   wait between probes in ms, 0 to 60000 (default 1000)
  --timeout <ms>        how long to wait for each reply in ms (default 1000)
  -h, --help            show this help`,
  },
  health: {
    summary: 'ask a server whether it is serving (udprpc.health)',
    usage: 'udprpc health <udp://host:port> [--service <name>] [--timeout <ms>]',
    details: `Asks the server's built-in udprpc.health method, like grpc.health.v1, and
prints its answer: SERVING, NOT_SERVING (set so by the server, or draining
before it closes) or SERVICE_UNKNOWN (no service of that name). Without
--service, asks about the server as a whole.

Exit codes: 0 SERVING, 20 NOT_SERVING, 21 SERVICE_UNKNOWN, 1 unreachable (no
answer within --timeout, or nothing listening); any other error exits with
2 + its gRPC number, as "udprpc call" does.

Options:
  --service <name>      the service to ask about (default: the whole server)
${timeoutLine}
  -h, --help            show this help

Example:
  udprpc health udp://127.0.0.1:4000 --service calc`,
  },
  bench: {
    summary: 'load-test one method and report latency percentiles',
    usage: "udprpc bench <udp://host:port> <service.method> ['<json>' | -] [options]",
    details: `Calls service.method from --concurrency callers in a closed loop for
--duration, showing progress on stderr, then prints calls/s, a latency
histogram of the successful calls (log-spaced buckets), the p50, p90, p99,
p99.9 and max latency, and the failed calls by error code. Ctrl-C stops early
and still reports. Exits 1 when no call succeeded.

Options:
  --concurrency <n>     calls in flight at once, 1 to 4096 (default 64)
  --duration <time>     how long to run: 500ms, 10s, 2m; at most 1h (default 10s)
${timeoutLine}
  --idempotent          call the method as idempotent (see "udprpc help call")
  --json                print the report as one JSON object (calls, ok, failed,
                        callsPerSecond, latencyMs percentiles, histogram,
                        errors by code); progress still goes to stderr
  -h, --help            show this help

Example:
  udprpc bench udp://127.0.0.1:4000 calc.add '{"a":1,"b":2}' --concurrency 64 --duration 10s`,
  },
} as const satisfies Record<string, CommandHelp>;

/** A command name. */
export type CommandName = keyof typeof commandHelp;

/** Whether `name` is a command. */
export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(commandHelp, name);
}

/** The full help of the tool: commands, common behaviour, exit codes. */
export function toolHelp(): string {
  const commands = (Object.keys(commandHelp) as CommandName[])
    .map((name) => `  ${name.padEnd(10)}${commandHelp[name].summary}`)
    .join('\n');
  return `udprpc — command-line client for udprpc servers (typed RPC over UDP)

Usage:
  udprpc <command> <udp://host:port> [arguments] [options]
  udprpc help [command]
  udprpc <command> --help
  udprpc --version

Commands:
${commands}
  help      show this help, or a command's

URLs are udp://host:port, IPv6 literals in brackets (udp://[::1]:4000).
Inputs and results are JSON; the wire codec is msgpack.

Exit codes:
${exitCodeTable()}
`;
}

/** The full help of one command. */
export function commandHelpText(name: CommandName): string {
  const h = commandHelp[name];
  return `udprpc ${name} — ${h.summary}

Usage:
  ${h.usage}

${h.details}
`;
}

/** The short usage printed on stderr after a usage error. */
export function usageText(name: CommandName | undefined): string {
  if (name === undefined) {
    const lines = (Object.keys(commandHelp) as CommandName[]).map((n) => `  ${commandHelp[n].usage}`);
    return `Usage:\n${lines.join('\n')}\n\nRun "udprpc --help" for details.\n`;
  }
  return `Usage:\n  ${commandHelp[name].usage}\n\nRun "udprpc help ${name}" for details.\n`;
}
