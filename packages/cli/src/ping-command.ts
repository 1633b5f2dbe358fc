import { parseArgs } from 'node:util';
import { formatPeer } from 'udprpc';
import { checkPositionals, parseIntOption, parseOrUsage, parseTarget } from './args.js';
import { ExitCode } from './exit-codes.js';
import { commandHelpText } from './help.js';
import type { CliIo } from './io.js';
import { ping, summarizeRtts, type PingResult } from './pinger.js';
import { reportRpcError } from './rpc-errors.js';

/** `udprpc ping <url> [-c n] [-i ms] [--timeout ms]`: RTT per probe and a summary. Returns the exit code. */
export async function pingCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOrUsage('ping', () =>
    parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        count: { type: 'string', short: 'c', default: '5' },
        interval: { type: 'string', short: 'i', default: '1000' },
        timeout: { type: 'string', default: '1000' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }),
  );
  if (values.help) {
    io.stdout(commandHelpText('ping'));
    return ExitCode.OK;
  }
  checkPositionals('ping', positionals, 1);
  const url = parseTarget('ping', positionals[0]);
  const count = parseIntOption('ping', '--count', values.count, 1, 100_000);
  const intervalMs = parseIntOption('ping', '--interval', values.interval, 0, 60_000);
  const timeoutMs = parseIntOption('ping', '--timeout', values.timeout, 1, 60_000);

  let result: PingResult;
  try {
    result = await ping({
      url,
      count,
      intervalMs,
      timeoutMs,
      signal: io.signal,
      onStart: (peer) => io.stdout(`PING ${url} (${formatPeer(peer)}): udprpc PING frames\n`),
      onReply: (seq, rttMs, from) => io.stdout(`pong from ${formatPeer(from)}: seq=${seq} time=${rttMs.toFixed(3)} ms\n`),
      onTimeout: (seq) => io.stdout(`no pong for seq=${seq} within ${timeoutMs} ms\n`),
      onError: (error) => io.stderr(`udprpc ping: ${error.message}\n`),
    });
  } catch (e) {
    return reportRpcError(e, io);
  }
  io.stdout(formatPingSummary(url, result));
  return result.received > 0 ? ExitCode.OK : ExitCode.FAILURE;
}

/** The ping(8)-style statistics block. */
export function formatPingSummary(url: string, result: PingResult): string {
  const lossPct = result.transmitted === 0 ? 0 : (100 * (result.transmitted - result.received)) / result.transmitted;
  const loss = Number.isInteger(lossPct) ? String(lossPct) : lossPct.toFixed(1);
  const lines = [
    '',
    `--- ${url} ping statistics ---`,
    `${result.transmitted} probes transmitted, ${result.received} received, ${loss}% loss, time ${Math.round(result.elapsedMs)}ms`,
  ];
  const rtt = summarizeRtts(result.rttsMs);
  if (rtt !== undefined) {
    const f = (ms: number): string => ms.toFixed(3);
    lines.push(`rtt min/avg/max/mdev = ${f(rtt.minMs)}/${f(rtt.avgMs)}/${f(rtt.maxMs)}/${f(rtt.mdevMs)} ms`);
  }
  return `${lines.join('\n')}\n`;
}
