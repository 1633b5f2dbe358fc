// Path MTU discovery in the engines (protocol.md §7.5, §7.4): what confirms
// a size, where probing stops, the reassembly restart on smaller fragments,
// and the server ignoring acks of a reply transfer it started over.
import { describe, expect, it } from 'vitest';
import { ClientEngine } from '../src/client/client-engine.js';
import { ServerEngine } from '../src/server/server-engine.js';
import { ReassemblyTable } from '../src/recovery/reassembly-table.js';
import { defaultReassemblyLimits } from '../src/recovery/reassembly-limits.js';
import { encodeFragmentAck } from '../src/wire/fragment-ack.js';
import { Flag, FrameType, HEADER_BYTES } from '../src/wire/frame-header.js';
import { encodeFrame, parseFrame, type Frame } from '../src/wire/frame.js';
import { encodeMethodName, encodeRequestFrame } from '../src/wire/request-body.js';
import { encodePmtuProbe, encodePmtuProbeReply } from '../src/wire/pmtu-probe.js';
import { encodeMetadataBlock } from '../src/wire/metadata.js';
import type { PeerAddress } from '../src/transport/transport.js';
import { delivering } from './delivering.js';

const SERVER: PeerAddress = { address: '10.0.0.1', family: 'IPv4', port: 4000 };
const CLIENT: PeerAddress = { address: '10.0.0.2', family: 'IPv4', port: 5000 };
const METHOD = encodeMethodName('svc.m');

function frames(sent: Uint8Array[]): Frame[] {
  return sent.map((b) => parseFrame(b)).filter((f): f is Frame => typeof f !== 'string');
}

function client(limit: number) {
  const sent: Uint8Array[] = [];
  const engine = new ClientEngine({ send: (b) => sent.push(b), random: () => 0.5, codec: 1, pmtu: { maxDatagramBytesFor: () => limit } });
  const id = engine.call({ peer: SERVER, method: METHOD, payload: new Uint8Array(10), deadlineAt: 5000 }, 0, () => {});
  if (typeof id !== 'number') throw id;
  // Nothing is probed before the server answers; its ACK starts the search.
  if (sent.some((b) => b[3] === FrameType.PING)) throw new Error('probed a server that never answered');
  engine.receive(encodeFrame({ type: FrameType.ACK, flags: 0, attempt: 0, session: engine.session, id }, Uint8Array.of(0, 0, 0, 1)), SERVER, 0);
  const probes = (): Uint8Array[] => sent.filter((b) => b[3] === FrameType.PING);
  return { engine, sent, probes };
}

/** The PONG a server would send for probe `ping`, at `bytes` bytes. */
function answer(ping: Uint8Array, bytes = ping.length): Uint8Array {
  const f = parseFrame(ping) as Frame;
  return encodePmtuProbeReply(f, bytes);
}

describe('the client confirms a size only by a matching, full-size PONG', () => {
  it('a PONG shorter than the size it names, or for another probe, confirms nothing', () => {
    const c = client(65_507);
    expect(c.probes().map((p) => p.length)).toEqual([1472]);
    const probe = c.probes()[0]!;
    // Names 1472 but is only 18 bytes long: no proof the path carries 1472.
    const short = answer(probe).subarray(0, 18);
    c.engine.receive(short, SERVER, 1);
    // Full size, but for another probe id.
    const other = encodePmtuProbeReply({ ...(parseFrame(probe) as Frame), id: 999 }, 1472);
    c.engine.receive(other, SERVER, 1);
    expect(c.probes().length).toBe(1);
    expect(c.engine.stats().drops).toEqual({ 'unexpected-frame': 1, 'unknown-call': 1 });
    // The real answer: 1472 confirmed, 8952 probed next, carrying 1472 as confirmed.
    c.engine.receive(answer(probe), SERVER, 2);
    expect(c.probes().map((p) => p.length)).toEqual([1472, 8952]);
    expect(new DataView(c.probes()[1]!.buffer).getUint32(HEADER_BYTES)).toBe(1472);
  });

  it("probes stop at the transport's limit, which is probed itself", () => {
    const c = client(5000);
    c.engine.receive(answer(c.probes()[0]!), SERVER, 1);
    c.engine.receive(answer(c.probes()[1]!), SERVER, 2);
    // 1472, then 5000 (8952 and 65 507 are above the limit), then the 18-byte report of 5000.
    expect(c.probes().map((p) => p.length)).toEqual([1472, 5000, 18]);
    expect(new DataView(c.probes()[2]!.buffer).getUint32(HEADER_BYTES)).toBe(5000);
    const none = client(1200);
    expect(none.probes()).toEqual([]);
  });
});

describe('reassembly restarts on smaller fragments of the same message (§7.4)', () => {
  it('a smaller fragment of the same message restarts the reassembly, a larger one is still a mismatch', () => {
    const table = new ReassemblyTable(defaultReassemblyLimits);
    const big = new Uint8Array(4000).fill(1);
    const r1 = table.offer('k', 'p', FrameType.REQUEST, { totalBytes: 10_000, index: 0, fragmentBytes: 4000 }, big, false, 0);
    expect(r1.status).toBe('added');
    const small = new Uint8Array(1000).fill(2);
    const r2 = table.offer('k', 'p', FrameType.REQUEST, { totalBytes: 10_000, index: 1, fragmentBytes: 1000 }, small, false, 1);
    expect(r2.status).toBe('added');
    expect(table.restarted).toBe(1);
    if (r2.status !== 'added') throw new Error(r2.status);
    // Only the new fragment is held: the old fragment 0 was discarded.
    expect(r2.reassembly.fragmentBytes).toBe(1000);
    expect(r2.reassembly.has(0)).toBe(false);
    expect(r2.reassembly.has(1)).toBe(true);
    // A late fragment of the old, larger size: dropped.
    expect(table.offer('k', 'p', FrameType.REQUEST, { totalBytes: 10_000, index: 1, fragmentBytes: 4000 }, big, false, 2).status).toBe('mismatch');
    // Another type or total is no restart either.
    expect(table.offer('k', 'p', FrameType.RESPONSE, { totalBytes: 10_000, index: 0, fragmentBytes: 500 }, new Uint8Array(500), false, 2).status).toBe('mismatch');
    expect(table.size).toBe(1);
  });
});

describe('a server that starts a reply over after a black hole (§7.5)', () => {
  it('after a restart, the server ignores acks of the old reply transfer', () => {
    const sent: Uint8Array[] = [];
    const reply = new Uint8Array(300_000);
    const engine: ServerEngine = delivering(new ServerEngine({
      send: (b) => sent.push(b),
      pmtu: { maxDatagramBytesFor: () => 65_507 },
      hooks: { onCall: (call) => engine.respondOk(call, reply, 10) },
    }));
    const session = 0x1234;
    // The client reports 65 507 bytes confirmed both ways.
    engine.receive(encodePmtuProbe({ session, id: 1, probeBytes: 18, confirmedBytes: 65_507 }), CLIENT, 0);
    const req = (attempt: number): Uint8Array =>
      encodeRequestFrame({ type: FrameType.REQUEST, flags: 0, attempt, session, id: 7 }, 5000, METHOD, new Uint8Array(4), 0, 0, 1);
    engine.receive(req(0), CLIENT, 10);
    const first = frames(sent).filter((f) => f.type === FrameType.RESPONSE);
    expect(first.map((f) => f.fragment!.fragmentBytes)).toEqual([65_483, 65_483]);
    // Nothing arrives (a black hole): the client retransmits twice.
    engine.receive(req(1), CLIENT, 300);
    engine.receive(req(2), CLIENT, 600);
    expect(engine.stats().pmtuBlackHoles).toBe(1);
    const restarted = frames(sent).filter((f) => f.type === FrameType.RESPONSE && f.fragment!.fragmentBytes === 1176);
    expect(restarted.length).toBeGreaterThan(0);
    expect(new Set(restarted.map((f) => f.attempt))).toEqual(new Set([2]));
    // A late ack of the old transfer (attempt 0, both 65 KB fragments): ignored, nothing sent.
    const ack = (attempt: number, cumulative: number): Uint8Array =>
      encodeFrame({ type: FrameType.FRAGMENT_ACK, flags: 0, attempt, session, id: 7 }, encodeFragmentAck({ ackedType: FrameType.RESPONSE, cumulative, ranges: [] }, 1186));
    const before = sent.length;
    engine.receive(ack(0, 2), CLIENT, 601);
    expect(sent.length).toBe(before);
    // The same ack echoing the new transfer's attempt moves it: more fragments go.
    engine.receive(ack(2, 2), CLIENT, 602);
    expect(sent.length).toBeGreaterThan(before);
    expect(frames(sent.slice(before)).every((f) => f.type === FrameType.RESPONSE && f.fragment!.fragmentBytes === 1176 && (f.flags & Flag.FRAGMENT) !== 0)).toBe(true);
  });

  it('a reply started over in smaller fragments keeps its metadata flag on every fragment (§5.8, §7.5)', () => {
    const sent: Uint8Array[] = [];
    const block = encodeMetadataBlock({ trace: 'x' }, 8192) as Uint8Array;
    const engine: ServerEngine = delivering(new ServerEngine({
      send: (b) => sent.push(b),
      pmtu: { maxDatagramBytesFor: () => 65_507 },
      hooks: { onCall: (call) => engine.respondOk(call, new Uint8Array(300_000), 10, block) },
    }));
    const session = 0x1234;
    engine.receive(encodePmtuProbe({ session, id: 1, probeBytes: 18, confirmedBytes: 65_507 }), CLIENT, 0);
    const req = (attempt: number): Uint8Array =>
      encodeRequestFrame({ type: FrameType.REQUEST, flags: 0, attempt, session, id: 7 }, 5000, METHOD, new Uint8Array(4), 0, 0, 1);
    engine.receive(req(0), CLIENT, 10);
    engine.receive(req(1), CLIENT, 300);
    engine.receive(req(2), CLIENT, 600);
    expect(engine.stats().pmtuBlackHoles).toBe(1);
    const replies = frames(sent).filter((f) => f.type === FrameType.RESPONSE);
    const restarted = replies.filter((f) => f.fragment!.fragmentBytes === 1176);
    expect(restarted.length).toBeGreaterThan(0);
    expect(replies.filter((f) => (f.flags & Flag.HAS_METADATA) === 0)).toEqual([]);
  });
});
