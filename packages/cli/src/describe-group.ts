import { isIP } from 'node:net';
import { createClient, createUdpTransport, formatPeer, parseEndpoint, RpcError, type PeerAddress, type ServiceDescription } from 'udprpc';
import { UsageError } from './args.js';
import { ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';
import { formatJson } from './json-output.js';
import { reportRpcError } from './rpc-errors.js';
import { asDescription, formatDescription } from './service-description.js';

/** Default `--collect`, in ms. */
export const DEFAULT_COLLECT_MS = 1000;
/** Largest `--collect`, in ms: discovery windows are short. */
export const MAX_COLLECT_MS = 10_000;

/** How `udprpc describe --group` sends and how long it listens. */
export interface GroupDescribeOptions {
  /** `udp://group:port`: a multicast group or an IPv4 broadcast address (IP literal). */
  readonly url: string;
  /** How long to collect answers. */
  readonly collectMs: number;
  /** Outgoing multicast interface: an IPv4 address (`127.0.0.1`) or an IPv6 scope (`::%eth0`). */
  readonly iface?: string | undefined;
  /** Multicast TTL (hops); 0 keeps the request on this host. */
  readonly ttl?: number | undefined;
  /** Print JSON instead of text. */
  readonly json: boolean;
}

/** One server that answered a group describe. */
export type GroupMember =
  | { readonly url: string; readonly address: string; readonly port: number; readonly services: ServiceDescription[] }
  | { readonly url: string; readonly address: string; readonly port: number; readonly error: { code: string; message: string } };

/**
 * Sends `udprpc.describe` to every server listening on a multicast group or
 * broadcast address and lists each one that answered within `collectMs`,
 * with its own address and services. Exits 0 when at least one server
 * described itself, 1 when none did.
 */
export async function describeGroup(options: GroupDescribeOptions, io: CliIo): Promise<number> {
  const { url, collectMs } = options;
  const endpoint = parseEndpoint(url);
  if (endpoint.ipVersion === 0) throw new UsageError('describe', `--group needs an IP address, not the host name ${endpoint.host}`);
  const v6 = endpoint.ipVersion === 6;
  if (options.iface !== undefined && isIP(options.iface) !== endpoint.ipVersion) {
    throw new UsageError('describe', `--interface ${JSON.stringify(options.iface)}: expected an IPv${endpoint.ipVersion} ${v6 ? 'scope such as ::%eth0' : 'address such as 127.0.0.1'}`);
  }
  const transport = createUdpTransport({
    ...(v6 ? { host: '::', type: 'udp6', ipv6Only: true } : { host: '0.0.0.0', type: 'udp4', broadcast: true }),
    multicastLoopback: true,
    ...(options.iface === undefined ? {} : { multicastInterface: options.iface }),
    ...(options.ttl === undefined ? {} : { multicastTtl: options.ttl }),
  });
  const group: PeerAddress = { address: endpoint.host, family: v6 ? 'IPv6' : 'IPv4', port: endpoint.port };
  const client = createClient({ transport, peer: group });
  let sendError: RpcError | undefined;
  client.on('error', (e) => (sendError ??= RpcError.from(e, 'UNAVAILABLE')));
  const members: GroupMember[] = [];
  let failure: unknown;
  try {
    for await (const reply of client.callGroup('udprpc', 'describe', undefined, { collectMs })) {
      members.push(toMember(reply.peer, reply.ok ? { services: asDescription(reply.result) } : { error: reply.error }));
    }
  } catch (e) {
    failure = e;
  } finally {
    await client.close();
  }
  if (members.length === 0 && failure !== undefined) return reportRpcError(failure, io);
  if (failure !== undefined) io.stderr(`udprpc describe: the collection ended early: ${RpcError.from(failure).message}\n`);
  members.sort((a, b) => a.address.localeCompare(b.address) || a.port - b.port);

  if (options.json) io.stdout(formatJson(members));
  else if (members.length > 0) io.stdout(formatGroup(url, collectMs, members));
  if (members.length === 0) {
    const why = sendError === undefined ? '' : ` (sending failed: ${sendError.message})`;
    io.stderr(`udprpc describe: no server answered on ${url} within ${collectMs} ms${why}\n`);
  }
  return members.some((m) => 'services' in m) ? ExitCode.OK : ExitCode.FAILURE;
}

function toMember(peer: PeerAddress, answer: { services: ServiceDescription[] | undefined } | { error: RpcError }): GroupMember {
  const where = { url: `udp://${formatPeer(peer)}`, address: peer.address, port: peer.port };
  if ('error' in answer) {
    const { code, message } = answer.error;
    const hint = code === 'NOT_FOUND' && answer.error.remote ? 'its introspection is turned off' : message;
    return { ...where, error: { code, message: hint } };
  }
  if (answer.services === undefined) {
    return { ...where, error: { code: 'INTERNAL', message: 'answered udprpc.describe with something that is not a service list' } };
  }
  return { ...where, services: answer.services };
}

/** The text listing: a header, then each server's URL with its services indented (or its error). */
export function formatGroup(url: string, collectMs: number, members: readonly GroupMember[]): string {
  const count = `${members.length} server${members.length === 1 ? '' : 's'}`;
  const blocks = members.map((m) => {
    if ('error' in m) return `${m.url}\n  ${m.error.code}: ${m.error.message}`;
    const body = formatDescription(m.url, m.services).trimEnd();
    return `${m.url}\n${body.replace(/^(?=.)/gm, '  ')}`;
  });
  return `${count} answered on ${url} within ${collectMs} ms\n\n${blocks.join('\n\n')}\n`;
}
