// Fragments handed to the host as chunks (a head and a view of the message
// body, `sendv`) instead of one joined buffer: the same bytes on the wire, in
// the same order, without copying the message's body once more per send.
import { describe, expect, it } from 'vitest';
import { Coalescer } from '../src/transport/coalescer.js';
import { countedSender, zeroTransportCounters } from '../src/transport/transport-counters.js';
import type { PeerAddress } from '../src/transport/transport.js';
import type { AddressValidator } from '../src/server/source-table.js';
import { FrameType } from '../src/wire/frame-header.js';
import { encodeFrame, encodeFragmentHead, FRAGMENT_HEAD_BYTES } from '../src/wire/frame.js';
import { splitBatch } from '../src/wire/batch.js';
import { parseFrame } from '../src/wire/frame.js';
import { EnginePair, seeded } from './engine-pair.js';

const PEER: PeerAddress = { address: 'p', family: 'sim', port: 1 };

function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

describe('engines with a sendv', () => {
  // Runs one call of `request` answered with `reply` on a fresh pair, chunked or not.
  function run(chunked: boolean, request: Uint8Array, reply: Uint8Array, validator?: AddressValidator) {
    const pair = new EnginePair({
      chunked,
      handler: () => reply,
      server: { random: seeded(2), ...(validator === undefined ? {} : { validator }) },
    });
    const call = pair.call(request, 0);
    for (let t = 0; t <= 2000 && call.outcome() === undefined; t += 10) {
      pair.pump(t);
      pair.client.onTimer(t);
      pair.server.onTimer(t);
      pair.pump(t);
    }
    return { pair, outcome: call.outcome() };
  }

  it('send the same datagrams, in the same order, as engines without one', () => {
    const request = pattern(50_000, 1);
    const reply = pattern(70_000, 2);
    const joined = run(false, request, reply);
    const chunked = run(true, request, reply);
    expect(chunked.outcome).toMatchObject({ ok: true });
    expect((chunked.outcome as { payload: Uint8Array }).payload).toEqual(reply);
    expect(chunked.pair.clientSent.map((s) => s.bytes)).toEqual(joined.pair.clientSent.map((s) => s.bytes));
    expect(chunked.pair.serverSent.map((s) => s.bytes)).toEqual(joined.pair.serverSent.map((s) => s.bytes));
    expect(joined.pair.clientChunks).toHaveLength(0);
    // Every fragment went as chunks: 50,000 bytes of payload (plus the
    // request's head) in 1,176-byte fragments is 43 of them; 70,000 is 60.
    expect(chunked.pair.clientChunks).toHaveLength(43);
    expect(chunked.pair.serverChunks).toHaveLength(60);
  });

  it('hand over the message body as views, not copies: only the fragment straddling the request head is copied', () => {
    const request = pattern(50_000, 3);
    const reply = pattern(70_000, 4);
    const { pair } = run(true, request, reply);
    const viewsOf = (chunks: Array<readonly Uint8Array[]>, body: Uint8Array) => chunks.filter((c) => c[1]!.buffer === body.buffer).length;
    expect(pair.clientChunks.every((c) => c.length === 2 && c[0]!.length === FRAGMENT_HEAD_BYTES)).toBe(true);
    // Fragment 0 holds the request head (deadline, incarnation, method) and the payload's start: one copy.
    expect(viewsOf(pair.clientChunks, request)).toBe(42);
    // A reply without metadata is the handler's bytes themselves.
    expect(viewsOf(pair.serverChunks, reply)).toBe(60);
  });

  it('count chunks at their joined length against the anti-amplification limit', () => {
    // A 20-byte request earns an unvalidated address 3x its bytes: the reply
    // is held back after the first fragments, and the same ones either way.
    const validator: AddressValidator = { mint: () => new Uint8Array(8).fill(7), verify: () => true };
    const joined = run(false, pattern(20, 5), pattern(30_000, 6), validator);
    const chunked = run(true, pattern(20, 5), pattern(30_000, 6), validator);
    expect(joined.pair.server.stats().amplificationBlocked).toBeGreaterThan(0);
    expect(chunked.pair.server.stats().amplificationBlocked).toBe(joined.pair.server.stats().amplificationBlocked);
    expect(chunked.pair.serverSent.map((s) => s.bytes)).toEqual(joined.pair.serverSent.map((s) => s.bytes));
    expect(chunked.outcome).toMatchObject({ ok: true });
  });
});

describe('Coalescer.pushv', () => {
  const header = { type: FrameType.RESPONSE, flags: 0, attempt: 0, session: 1, id: 1 };
  const big = (seed: number) => {
    const body = pattern(1176, seed);
    return [encodeFragmentHead(header, { totalBytes: 5000, index: 0, fragmentBytes: 1176 }), body] as const;
  };

  function record(withSendv: boolean) {
    const log: Array<{ kind: 'send' | 'sendv'; bytes: Uint8Array | readonly Uint8Array[] }> = [];
    let flush = (): void => {};
    const coalescer = new Coalescer(
      (bytes) => log.push({ kind: 'send', bytes }),
      1200,
      (f) => {
        flush = f;
      },
      withSendv ? (chunks) => log.push({ kind: 'sendv', bytes: chunks }) : undefined,
    );
    return { coalescer, log, flush: () => flush() };
  }

  it('sends a frame too big to share a datagram alone, as the very chunks it was given, in its place among the others', () => {
    const { coalescer, log, flush } = record(true);
    const a = encodeFrame(header, pattern(10, 1));
    const b = encodeFrame(header, pattern(10, 2));
    const chunks = big(3);
    coalescer.push(a, PEER);
    coalescer.pushv(chunks, PEER);
    coalescer.push(b, PEER);
    flush();
    expect(log.map((l) => l.kind)).toEqual(['send', 'sendv', 'send']);
    expect(log[0]!.bytes).toBe(a);
    expect(log[1]!.bytes).toBe(chunks);
    expect(log[2]!.bytes).toBe(b);
  });

  it('joins a small chunked frame and batches it with the others', () => {
    const { coalescer, log, flush } = record(true);
    const a = encodeFrame(header, pattern(10, 1));
    const small = [encodeFragmentHead(header, { totalBytes: 1190, index: 1, fragmentBytes: 1176 }), pattern(14, 4)];
    coalescer.push(a, PEER);
    coalescer.pushv(small, PEER);
    flush();
    expect(log).toHaveLength(1);
    expect(log[0]!.kind).toBe('send');
    const batch = parseFrame(log[0]!.bytes as Uint8Array);
    if (typeof batch === 'string') throw new Error(batch);
    expect(batch.type).toBe(FrameType.BATCH);
    const inner = splitBatch(batch.body);
    if (!inner.ok) throw new Error(inner.error);
    expect(inner.value).toEqual([a, Uint8Array.from([...small[0]!, ...small[1]!])]);
  });

  it('without a sendv, joins chunks for send (a lone chunked frame too)', () => {
    const { coalescer, log, flush } = record(false);
    const chunks = big(5);
    coalescer.pushv(chunks, PEER);
    flush();
    expect(log).toEqual([{ kind: 'send', bytes: Uint8Array.from([...chunks[0], ...chunks[1]]) }]);
  });
});

describe('countedSender.sendv', () => {
  it('counts one datagram of the chunks joined length, and hands the chunks on unjoined', () => {
    const counters = zeroTransportCounters();
    const seen: Array<readonly Uint8Array[]> = [];
    const sender = countedSender({ send: () => expect.unreachable(), sendv: (chunks) => seen.push(chunks) }, counters);
    const chunks = [pattern(24, 1), pattern(1000, 2)];
    sender.sendv(chunks, PEER);
    expect(seen).toEqual([chunks]);
    expect(seen[0]).toBe(chunks);
    expect(counters).toMatchObject({ datagramsOut: 1, bytesOut: 1024 });
  });

  it('joins them for a transport without sendv', () => {
    const counters = zeroTransportCounters();
    const seen: Uint8Array[] = [];
    const sender = countedSender({ send: (b) => seen.push(b) }, counters);
    sender.sendv([pattern(3, 1), pattern(2, 2)], PEER);
    expect(seen).toEqual([Uint8Array.from([...pattern(3, 1), ...pattern(2, 2)])]);
    expect(counters).toMatchObject({ datagramsOut: 1, bytesOut: 5 });
  });
});
