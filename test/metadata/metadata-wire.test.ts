// Call metadata at the wire and engine level (protocol.md §5.8): the block
// codec byte for byte, its round trip and its decoder on any bytes
// (fast-check, fixed seed and runs; fast-check prints the seed and path of
// a failure), the engines' datagrams against Appendix A, a duplicate
// getting the same reply metadata from the cache, and what the cache charges.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Metadata, type MetadataInit, type PeerAddress } from '@udprpc/core';
import { decodeMetadataBlock, encodeMetadataBlock, encodeMethodName, Flag, metadataRetainedBytes, parseFrame, splitMetadata } from '@udprpc/core/wire';
import { ClientEngine, ServerEngine, type CallOutcome, type IncomingCall } from '@udprpc/core/engine';
import { msgpackCodec } from '@udprpc/codec-msgpack';
import { delivering } from '../../packages/core/test/delivering.js';
import { A12_METADATA, appendixA, ARG, hex, metadataBlock } from '../wire/appendix-a.js';

const SEED = Number(process.env['UDPRPC_FC_SEED'] ?? 20_261_203);
const SERVER: PeerAddress = { address: '192.0.2.1', family: 'IPv4', port: 4000 };
/** What the server charges every cache entry (protocol.md §6.3). */
const ENTRY_OVERHEAD_BYTES = 600;
const CLIENT: PeerAddress = { address: '192.0.2.10', family: 'IPv4', port: 5000 };

const keyChars = 'abcdefghijklmnopqrstuvwxyz0123456789-_.';
const key = fc.string({ unit: fc.constantFrom(...keyChars), minLength: 1, maxLength: 40 }).filter((k) => !k.startsWith('udprpc-'));
const value = fc.oneof(fc.string({ maxLength: 60, unit: 'binary' }).filter((s) => (s as string & { isWellFormed(): boolean }).isWellFormed()), fc.uint8Array({ maxLength: 60 }));
/** Valid metadata, well under the default cap. */
export const metadataArb = fc.dictionary(key, value, { maxKeys: 8, noNullPrototype: true });

describe('the metadata block (§5.8)', () => {
  it('encodes A.12 byte for byte', () => {
    expect(hex(encodeMetadataBlock(A12_METADATA, 8192) as Uint8Array)).toBe('00 13 04 61 75 74 68 00 00 02 6b 31 03 62 69 6e 01 00 02 01 02');
  });

  it('empty metadata encodes to nothing (no block, flag clear)', () => {
    expect(encodeMetadataBlock({}, 8192)).toBeUndefined();
  });

  it('the cap counts the whole block, length field included', () => {
    const at = { a: 'x'.repeat(100 - 2 - 4 - 1) };
    expect((encodeMetadataBlock(at, 100) as Uint8Array).length).toBe(100);
    expect(encodeMetadataBlock({ a: 'x'.repeat(100 - 2 - 4 - 1 + 1) }, 100)).toEqual({ problem: 'too-large', message: 'metadata is 101 bytes, above the 100-byte limit' });
    expect(splitMetadata(encodeMetadataBlock(at, 100) as Uint8Array, 99)).toBe('too-large');
  });

  it('refuses invalid keys and values, and the reserved prefix', () => {
    const problem = (init: MetadataInit): string | undefined => {
      const r = encodeMetadataBlock(init, 8192);
      return r instanceof Uint8Array || r === undefined ? undefined : r.problem;
    };
    expect([problem({ A: 'x' }), problem({ 'a:b': 'x' }), problem({ ['k'.repeat(256)]: 'x' }), problem({ 'udprpc-a': 'x' }), problem({ a: 5 as unknown as string })]).toEqual([
      'invalid',
      'invalid',
      'invalid',
      'invalid',
      'invalid',
    ]);
    expect(problem({ ['k'.repeat(255)]: 'x', 'udprpc': 'x', 'a-b_c.d': '' })).toBeUndefined();
  });

  it('Metadata.from refuses a key given twice', () => {
    expect(() =>
      Metadata.from([
        ['a', 'x'],
        ['a', 'y'],
      ]),
    ).toThrow(new TypeError('metadata key a is given twice'));
    expect(() => Metadata.from({ Bad: 'x' })).toThrow(TypeError);
    expect(Metadata.from({})).toBe(Metadata.EMPTY);
  });

  it('decode(encode(m)) is m, entries in order (fast-check)', () => {
    fc.assert(
      fc.property(metadataArb, (init) => {
        const block = encodeMetadataBlock(init, 65_537);
        if (Object.keys(init).length === 0) {
          expect(block).toBeUndefined();
          return;
        }
        const decoded = decodeMetadataBlock(block as Uint8Array);
        expect(decoded === 'malformed' ? decoded : [...decoded]).toEqual(Object.entries(init));
      }),
      { numRuns: 500, seed: SEED },
    );
  });

  it('the decoders never throw, for any bytes (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 70_000 }), (bytes, cap) => {
        const split = splitMetadata(bytes, cap);
        if (typeof split !== 'string') expect(split.blockBytes + split.rest.length).toBe(bytes.length);
        if (bytes.length >= 2) decodeMetadataBlock(bytes);
      }),
      { numRuns: 2000, seed: SEED },
    );
  });

  it('metadataRetainedBytes follows its formula', () => {
    const m = decodeMetadataBlock(metadataBlock({ ab: 'xyz', c: Uint8Array.of(1, 2) })) as Metadata;
    expect(metadataRetainedBytes(m)).toBe(256 + (64 + 2 + 6) + (64 + 1 + 192 + 2));
  });
});

/** A ClientEngine that picks session 0x1A2B3C4D and first id 7, as Appendix A's client. */
function appendixClient(sent: Uint8Array[]): ClientEngine {
  const values = [(0x1a2b3c4c + 0.5) / 0xffffffff, 7.5 / 0x1_0000_0000];
  return new ClientEngine({ send: (bytes) => sent.push(bytes), random: () => values.shift() ?? 0.5, codec: msgpackCodec.id });
}

describe('the engines and metadata', () => {
  it('a call without metadata sends A.1 byte for byte (flag clear, no block); with A.12 metadata, A.12', () => {
    const plain: Uint8Array[] = [];
    appendixClient(plain).call({ peer: SERVER, method: encodeMethodName('calc.add'), payload: ARG, deadlineAt: 5000 }, 0, () => {});
    expect(plain.map(hex)).toEqual([hex(appendixA()['A.1']!)]);
    const withMd: Uint8Array[] = [];
    appendixClient(withMd).call({ peer: SERVER, method: encodeMethodName('calc.add'), payload: ARG, deadlineAt: 5000, metadata: metadataBlock(A12_METADATA) }, 0, () => {});
    expect(withMd.map(hex)).toEqual([hex(appendixA()['A.12']!)]);
  });

  it('a retransmission carries the same block and flag', () => {
    const sent: Uint8Array[] = [];
    const engine = appendixClient(sent);
    engine.call({ peer: SERVER, method: encodeMethodName('calc.add'), payload: ARG, deadlineAt: 5000, metadata: metadataBlock(A12_METADATA) }, 0, () => {});
    engine.onTimer(engine.nextTimerAt()!);
    expect(sent).toHaveLength(2);
    const a12 = appendixA()['A.12']!;
    // Bytes 5 (attempt) and 14–17 (remaining deadline) differ; everything else, block included, is A.12's.
    expect(hex(sent[1]!.subarray(18))).toBe(hex(a12.subarray(18)));
    expect([sent[1]![4], sent[1]![5]]).toEqual([Flag.HAS_METADATA, 1]);
  });

  it('the reply metadata reaches the outcome', () => {
    const sent: Uint8Array[] = [];
    const engine = appendixClient(sent);
    let outcome: CallOutcome | undefined;
    engine.call({ peer: SERVER, method: encodeMethodName('calc.add'), payload: ARG, deadlineAt: 5000 }, 0, (o) => (outcome = o));
    engine.receive(appendixA()['A.13']!, SERVER, 10);
    expect(outcome?.ok && [hex(outcome.payload), [...outcome.metadata!]]).toEqual(['03', Object.entries(A12_METADATA)]);
  });

  it('a duplicate of a finished call gets the same reply metadata from the cache; the entry is charged for what it keeps', () => {
    const sent: Uint8Array[] = [];
    let call: IncomingCall | undefined;
    const engine: ServerEngine = delivering(new ServerEngine({ send: (bytes) => sent.push(bytes), startupGraceMs: 0, hooks: { onCall: (c) => (call = c) } }));
    const a12 = appendixA()['A.12']!;
    engine.receive(a12, CLIENT, 0);
    expect([...call!.metadata!]).toEqual(Object.entries(A12_METADATA));
    expect(hex(call!.payload)).toBe(hex(ARG));
    // Running: the entry holds the payload and the decoded metadata.
    expect(engine.stats().cacheBytes).toBe(ENTRY_OVERHEAD_BYTES + ARG.length + metadataRetainedBytes(call!.metadata!));
    engine.respondOk(call!, msgpackCodec.encode(3), 1, metadataBlock(A12_METADATA));
    expect(sent.map(hex)).toEqual([hex(appendixA()['A.13']!)]);
    // Done: the reply frame, block included; the request's metadata is let go.
    expect(engine.stats().cacheBytes).toBe(ENTRY_OVERHEAD_BYTES + appendixA()['A.13']!.length);
    expect(call!.metadata).toBeUndefined();
    const retransmission = a12.slice();
    retransmission[5] = 1;
    engine.receive(retransmission, CLIENT, 200);
    expect(sent).toHaveLength(2);
    const replay = appendixA()['A.13']!.slice();
    replay[5] = 1;
    expect(hex(sent[1]!)).toBe(hex(replay));
    expect(engine.stats().duplicatesReplayed).toBe(1);
  });

  it('a fragmented reply with metadata has HAS_METADATA on every fragment', () => {
    const sent: Uint8Array[] = [];
    let call: IncomingCall | undefined;
    const engine: ServerEngine = delivering(new ServerEngine({ send: (bytes) => sent.push(bytes), startupGraceMs: 0, hooks: { onCall: (c) => (call = c) } }));
    engine.receive(appendixA()['A.1']!, CLIENT, 0);
    engine.respondOk(call!, new Uint8Array(3000), 1, metadataBlock(A12_METADATA));
    const frames = sent.map((b) => parseFrame(b));
    expect(frames.length).toBeGreaterThan(1);
    for (const f of frames) expect(typeof f !== 'string' && f.fragment !== undefined && (f.flags & Flag.HAS_METADATA) !== 0).toBe(true);
  });
});
