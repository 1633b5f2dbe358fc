// A small authoritative DNS server for tests, on 127.0.0.1 and a port the
// kernel picks, built with dns-packet over node:dgram. Its records can be
// changed while it runs, and it can be told to misbehave (stay silent, fail,
// or send junk before, or instead of, the real answer).
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { decode, encode, type Answer, type DecodedPacket } from 'dns-packet';

export interface SrvEntry {
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  readonly target: string;
}

/** How the server answers. */
export type DnsMode =
  | 'normal'
  | 'silent' // reads queries, answers nothing
  | 'servfail'
  | 'nxdomain'
  | 'truncated' // the TC bit, no records
  | 'garbage' // only junk: undecodable bytes
  | 'junk-first'; // an undecodable datagram, a wrong ID, an oversized one, then the real answer

export interface TestDnsServer {
  /** `127.0.0.1:<port>`, for `dns.servers`. */
  readonly address: string;
  /** SRV records by name; change at will. */
  readonly srv: Map<string, SrvEntry[]>;
  /** A records by name. */
  readonly a: Map<string, string[]>;
  /** TTL of every record, in seconds. */
  ttl: number;
  /** Put the targets' A records in the additional section of SRV answers. */
  additional: boolean;
  mode: DnsMode;
  /** Questions received, as `TYPE name`, in order. */
  readonly queries: string[];
  /** When each of `queries` arrived (performance.now()). */
  readonly queryTimes: number[];
  close(): Promise<void>;
}

export async function startDnsServer(): Promise<TestDnsServer> {
  const socket: Socket = createSocket('udp4');
  const state: Omit<TestDnsServer, 'address' | 'close'> = {
    srv: new Map(),
    a: new Map(),
    ttl: 1,
    additional: false,
    mode: 'normal',
    queries: [],
    queryTimes: [],
  };
  const reply = (packet: Buffer | Uint8Array, to: RemoteInfo): void => socket.send(packet, to.port, to.address);
  socket.on('message', (bytes, from) => {
    let query: DecodedPacket;
    try {
      query = decode(bytes);
    } catch {
      return;
    }
    const q = query.questions?.[0];
    if (q === undefined) return;
    state.queries.push(`${q.type} ${q.name}`);
    state.queryTimes.push(performance.now());
    const base = { type: 'response' as const, id: query.id ?? 0, questions: [q] };
    switch (state.mode) {
      case 'silent':
        return;
      case 'servfail':
        return reply(encode({ ...base, flags: 2 }), from);
      case 'nxdomain':
        return reply(encode({ ...base, flags: 3 }), from);
      case 'truncated':
        return reply(encode({ ...base, flags: 1 << 9 }), from);
      case 'garbage':
        return reply(Buffer.from([1, 2, 3, 4, 5]), from);
      case 'junk-first':
        reply(Buffer.from([0xde, 0xad]), from);
        reply(encode({ ...base, id: ((query.id ?? 0) + 1) & 0xffff, answers: answersFor(q.type, q.name) }), from);
        reply(Buffer.alloc(8000), from);
        break;
      case 'normal':
        break;
    }
    const answers = answersFor(q.type, q.name);
    const known = q.type === 'SRV' ? state.srv.has(q.name) : state.a.has(q.name) || state.srv.has(q.name);
    const additionals: Answer[] =
      q.type === 'SRV' && state.additional ? (state.srv.get(q.name) ?? []).flatMap((s) => aRecords(s.target)) : [];
    reply(encode({ ...base, flags: known ? 0 : 3, answers, additionals }), from);
  });
  const aRecords = (name: string): Answer[] => (state.a.get(name) ?? []).map((address) => ({ type: 'A', name, ttl: state.ttl, data: address }));
  const answersFor = (type: string, name: string): Answer[] => {
    if (type === 'SRV') return (state.srv.get(name) ?? []).map((data) => ({ type: 'SRV', name, ttl: state.ttl, data }));
    if (type === 'A') return aRecords(name);
    return [];
  };
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  return Object.assign(state, {
    address: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  });
}
