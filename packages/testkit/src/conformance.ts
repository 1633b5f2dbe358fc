import { formatPeer, type PeerAddress, type Transport } from '@udprpc/core';
import { peerKey } from '@udprpc/core/engine';

/**
 * Two transports under test that can reach each other, and how to let time
 * pass for them. A virtual-clock transport drives its clock; a real one
 * polls with real timers.
 */
export interface ConformancePair {
  /** One end. */
  readonly a: Transport;
  /** The other end, which `a` can reach. */
  readonly b: Transport;
  /**
   * Resolves once `condition()` holds, letting deliveries happen; rejects
   * (mentioning `what`) if it does not hold in reasonable time.
   */
  waitFor(condition: () => boolean, what: string): Promise<void>;
  /** Gives in-flight datagrams every chance to arrive; used before asserting that one did not. */
  quiesce(): Promise<void>;
}

/** One conformance check. It throws (an Error) on failure. */
export interface TransportConformanceCase {
  /** What the case checks. */
  readonly name: string;
  /** Runs the check on a fresh pair; rejects on failure. */
  run(pair: ConformancePair): Promise<void>;
}

interface Received {
  readonly bytes: Uint8Array;
  readonly from: PeerAddress;
}

interface Listening {
  readonly addrA: PeerAddress;
  readonly addrB: PeerAddress;
  readonly atA: Received[];
  readonly atB: Received[];
  readonly errors: Error[];
}

function fail(message: string): never {
  throw new Error(`transport conformance: ${message}`);
}

function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

function sameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (!(actual instanceof Uint8Array)) fail(`${what}: expected a Uint8Array`);
  if (actual.length !== expected.length) fail(`${what}: expected ${expected.length} bytes, got ${actual.length}`);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) fail(`${what}: byte ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}

function sameAddress(actual: PeerAddress, expected: PeerAddress, what: string): void {
  if (actual.address !== expected.address || actual.port !== expected.port || actual.family !== expected.family) {
    fail(`${what}: expected ${formatPeer(expected)} (${expected.family}), got ${formatPeer(actual)} (${actual.family})`);
  }
}

function pattern(size: number, salt: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + salt * 17 + 7) & 0xff;
  return bytes;
}

async function listenBoth(pair: ConformancePair): Promise<Listening> {
  const atA: Received[] = [];
  const atB: Received[] = [];
  const errors: Error[] = [];
  const addrA = await pair.a.listen((bytes, from) => atA.push({ bytes, from }), (e) => errors.push(e));
  const addrB = await pair.b.listen((bytes, from) => atB.push({ bytes, from }), (e) => errors.push(e));
  return { addrA, addrB, atA, atB, errors };
}

function noErrors(l: Listening): void {
  if (l.errors.length > 0) fail(`onError was called: ${l.errors.map((e) => e.message).join('; ')}`);
}

async function expectMultiset(pair: ConformancePair, inbox: Received[], sent: Uint8Array[], what: string): Promise<void> {
  await pair.waitFor(() => inbox.length >= sent.length, what);
  await pair.quiesce();
  if (inbox.length !== sent.length) fail(`${what}: expected ${sent.length} datagrams, got ${inbox.length}`);
  const want = sent.map(hex).sort();
  const got = inbox.map((r) => hex(r.bytes)).sort();
  for (let i = 0; i < want.length; i++) if (want[i] !== got[i]) fail(`${what}: datagram contents differ from those sent`);
}

/**
 * Checks every {@link Transport} implementation must pass: address, exact
 * bytes, sender address, buffer copying, boundaries, sizes, both directions,
 * sends that never throw, and idempotent close. They assume a lossless pair
 * but not in-order delivery. Run each with {@link runConformanceCase}.
 */
export const transportConformanceCases: readonly TransportConformanceCase[] = Object.freeze([
  {
    name: 'listen resolves with distinct, well-formed local addresses',
    async run(pair) {
      const l = await listenBoth(pair);
      for (const addr of [l.addrA, l.addrB]) {
        if (typeof addr.address !== 'string' || addr.address === '') fail(`empty address in ${JSON.stringify(addr)}`);
        if (!Number.isInteger(addr.port) || addr.port <= 0 || addr.port > 65535) fail(`bad port in ${JSON.stringify(addr)}`);
        if (!['IPv4', 'IPv6', 'sim'].includes(addr.family)) fail(`bad family in ${JSON.stringify(addr)}`);
      }
      if (peerKey(l.addrA) === peerKey(l.addrB)) fail(`a and b share the address ${formatPeer(l.addrA)}`);
      noErrors(l);
    },
  },
  {
    name: 'delivers the exact bytes with the sender address',
    async run(pair) {
      const l = await listenBoth(pair);
      const sent = pattern(100, 1);
      pair.a.send(sent, l.addrB);
      await pair.waitFor(() => l.atB.length > 0, 'a datagram from a at b');
      const got = l.atB[0]!;
      sameBytes(got.bytes, sent, 'received datagram');
      sameAddress(got.from, l.addrA, 'sender address');
      noErrors(l);
    },
  },
  {
    name: 'replies reach the sender at the address it was seen from',
    async run(pair) {
      const l = await listenBoth(pair);
      pair.a.send(pattern(10, 2), l.addrB);
      await pair.waitFor(() => l.atB.length > 0, 'the request at b');
      const reply = pattern(20, 3);
      pair.b.send(reply, l.atB[0]!.from);
      await pair.waitFor(() => l.atA.length > 0, 'the reply at a');
      sameBytes(l.atA[0]!.bytes, reply, 'reply');
      sameAddress(l.atA[0]!.from, l.addrB, 'replier address');
      noErrors(l);
    },
  },
  {
    name: 'copies the buffer at send time (the sender may reuse it)',
    async run(pair) {
      const l = await listenBoth(pair);
      const buffer = pattern(64, 4);
      const expected = buffer.slice();
      pair.a.send(buffer, l.addrB);
      buffer.fill(0xee);
      await pair.waitFor(() => l.atB.length > 0, 'the datagram at b');
      sameBytes(l.atB[0]!.bytes, expected, 'datagram whose buffer was reused');
      noErrors(l);
    },
  },
  {
    name: 'keeps datagram boundaries',
    async run(pair) {
      const l = await listenBoth(pair);
      const sent = [pattern(1, 5), pattern(300, 6), pattern(7, 7), pattern(2, 8)];
      for (const d of sent) pair.a.send(d, l.addrB);
      await expectMultiset(pair, l.atB, sent, 'four datagrams of different sizes');
      noErrors(l);
    },
  },
  {
    name: 'carries every byte value, a view into a larger buffer, and an empty datagram',
    async run(pair) {
      const l = await listenBoth(pair);
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      const backing = pattern(64, 9);
      const view = backing.subarray(10, 30);
      const sent = [all, view, new Uint8Array(0)];
      for (const d of sent) pair.a.send(d, l.addrB);
      await expectMultiset(pair, l.atB, [all, view.slice(), new Uint8Array(0)], 'byte values, subarray, empty');
      noErrors(l);
    },
  },
  {
    name: 'carries a datagram of its maxDatagramBytes (up to 8 KiB)',
    async run(pair) {
      const l = await listenBoth(pair);
      const size = Math.min(pair.a.maxDatagramBytes ?? 8192, pair.b.maxDatagramBytes ?? 8192, 8192);
      const sent = pattern(size, 10);
      pair.a.send(sent, l.addrB);
      await pair.waitFor(() => l.atB.length > 0, `a ${size}-byte datagram`);
      sameBytes(l.atB[0]!.bytes, sent, `${size}-byte datagram`);
      noErrors(l);
    },
  },
  {
    name: 'sendv, if it has one, sends its chunks as one datagram, in order (views and empty chunks too)',
    async run(pair) {
      const l = await listenBoth(pair);
      const sendv = pair.a.sendv;
      if (sendv === undefined) return; // optional: senders join chunks for `send` instead
      const backing = pattern(500, 15);
      const chunks = [pattern(24, 16), new Uint8Array(0), backing.subarray(100, 400), pattern(3, 17)];
      sendv.call(pair.a, chunks, l.addrB);
      await pair.waitFor(() => l.atB.length > 0, 'a datagram sent with sendv');
      sameBytes(l.atB[0]!.bytes, Uint8Array.from(chunks.flatMap((c) => [...c])), 'datagram from chunks');
      sameAddress(l.atB[0]!.from, l.addrA, 'sender address');
      noErrors(l);
    },
  },
  {
    name: 'delivers a burst of 64 datagrams',
    async run(pair) {
      const l = await listenBoth(pair);
      const sent = Array.from({ length: 64 }, (_, i) => pattern(16 + i, 100 + i));
      for (const d of sent) pair.a.send(d, l.addrB);
      await expectMultiset(pair, l.atB, sent, '64 datagrams');
      noErrors(l);
    },
  },
  {
    name: 'send never throws, even to an address nobody listens on',
    async run(pair) {
      const l = await listenBoth(pair);
      const nowhere: PeerAddress = { ...l.addrB, port: l.addrB.port === 65535 ? 1 : l.addrB.port + 1 };
      try {
        pair.a.send(pattern(8, 11), nowhere);
      } catch (error) {
        fail(`send to ${formatPeer(nowhere)} threw: ${String(error)}`);
      }
      const sent = pattern(8, 12);
      pair.a.send(sent, l.addrB);
      await pair.waitFor(() => l.atB.length > 0, 'a datagram after one sent nowhere');
      sameBytes(l.atB[0]!.bytes, sent, 'datagram after one sent nowhere');
    },
  },
  {
    name: 'close is idempotent, stops delivery, and later sends do not throw',
    async run(pair) {
      const l = await listenBoth(pair);
      await pair.b.close();
      await pair.b.close();
      pair.a.send(pattern(8, 13), l.addrB);
      await pair.quiesce();
      if (l.atB.length !== 0) fail('a closed transport still received a datagram');
      try {
        pair.b.send(pattern(8, 14), l.addrA);
      } catch (error) {
        fail(`send after close threw: ${String(error)}`);
      }
      await pair.quiesce();
      if (l.atA.length !== 0) fail('a send after close was delivered');
      await pair.a.close();
      await pair.a.close();
    },
  },
]);

/**
 * Runs one case on a fresh pair from `makePair`, closing both transports
 * afterwards whatever happens.
 *
 * @example
 * // in a vitest file
 * for (const c of transportConformanceCases) it(c.name, () => runConformanceCase(c, makePair));
 */
export async function runConformanceCase(
  testCase: TransportConformanceCase,
  makePair: () => Promise<ConformancePair>,
): Promise<void> {
  const pair = await makePair();
  try {
    await testCase.run(pair);
  } finally {
    await Promise.allSettled([pair.a.close(), pair.b.close()]);
  }
}
