// docs/test-vectors/ cannot drift from the code: the files must be exactly
// what the generators (built on the encoders) make, every frame must decode
// to the fields listed and re-encode to the same bytes, and every exchange
// must replay against the real server and client engine with the listed
// datagrams out, outcome and drop counts (issue 12).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  encodeBatch,
  encodeErrorBody,
  encodeFragmentAck,
  encodeFrame,
  encodeMethodName,
  encodeRequestFrame,
  FrameType,
  type FrameHeader,
} from '@udprpc/core/wire';
import { msgpackCodec } from '@udprpc/codec-msgpack';
import { VECTOR_DIR, vectorFiles } from './test-vector-files.js';
import { describeFrame, fromTagged, hex, unhex, type ClientExchange, type CodecVector, type FrameVector, type ServerExchange } from './vector-format.js';
import { runClient, runServer } from './vector-runners.js';

const files = vectorFiles();
const load = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, VECTOR_DIR), 'utf8')) as T;

describe('docs/test-vectors files', () => {
  it.each(Object.keys(files))('%s is exactly what the generators make (regenerate: npx tsx --conditions=@udprpc/source test/wire/write-test-vectors.ts)', (name) => {
    expect(readFileSync(new URL(name, VECTOR_DIR), 'utf8')).toBe(files[name]);
  });

  it('has a README for other implementers naming every file', () => {
    const readme = readFileSync(new URL('README.md', VECTOR_DIR), 'utf8');
    for (const name of Object.keys(files)) expect(readme).toContain(name);
  });
});

const typeByName = FrameType as Record<string, number>;

/** Re-encodes a decoded frame with the encoders, where the description holds everything the bytes do. */
function reencode(d: Record<string, unknown>): Uint8Array | undefined {
  const body = d.body as Record<string, unknown>;
  const header: FrameHeader = { type: typeByName[d.type as string] as FrameHeader['type'], flags: d.flags as number, attempt: d.attempt as number, session: d.session as number, id: d.id as number };
  if (d.fragment !== null) return encodeFrame(header, unhex(body.slice as string), d.fragment as never);
  switch (header.type) {
    case FrameType.REQUEST:
      return encodeRequestFrame(header, body.deadlineMs as number, encodeMethodName(body.method as string), unhex(body.payload as string), body.inFlightSpan as number, body.incarnation as number, body.codec as number);
    case FrameType.RESPONSE:
      return encodeFrame(header, unhex(body.payload as string));
    case FrameType.ERROR:
      return encodeFrame(header, encodeErrorBody({ code: body.code as number, retryAfterMs: body.retryAfterMs as number, message: body.message as string, details: unhex(body.details as string) }));
    case FrameType.FRAGMENT_ACK:
      return encodeFrame(header, encodeFragmentAck({ ackedType: body.ackedType as number, cumulative: body.cumulative as number, ranges: body.ranges as Array<[number, number]> }, 65_000));
    case FrameType.VALIDATE:
    case FrameType.VALIDATE_ECHO:
      return encodeFrame(header, unhex(body.token as string));
    case FrameType.BATCH:
      return encodeBatch((body.entries as string[]).map(unhex));
    case FrameType.ACK: {
      // The 4-byte incarnation (§5.4); trailing bytes, and the body of a shorter ACK, are ignored, not re-encoded.
      if ((body.ignored as string) !== '') return undefined;
      if (body.incarnation === null) return encodeFrame(header, new Uint8Array(0));
      const incarnation = new Uint8Array(4);
      new DataView(incarnation.buffer).setUint32(0, body.incarnation as number);
      return encodeFrame(header, incarnation);
    }
    default:
      // CANCEL, PING, PONG: the header alone; trailing bytes are ignored, not re-encoded.
      return (body.ignored as string) === '' ? encodeFrame(header, new Uint8Array(0)) : undefined;
  }
}

describe('frames.json: decoded by the real decoders', () => {
  const vectors = load<{ vectors: FrameVector[] }>('frames.json').vectors;

  it('covers every frame type and every decoder drop reason', () => {
    const types = new Set(vectors.map((v) => (v.decoded as Record<string, unknown>).type).filter(Boolean));
    expect([...types].sort()).toEqual(Object.keys(FrameType).sort());
    const errors = new Set(vectors.map((v) => (v.decoded as Record<string, unknown>).error).filter(Boolean));
    expect([...errors].sort()).toEqual(['bad-magic', 'malformed', 'truncated', 'unknown-type', 'unsupported-version']);
  });

  it.each(vectors.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const bytes = unhex(v.hex);
    expect(describeFrame(bytes)).toEqual(v.decoded);
    if ('error' in v.decoded) return;
    const again = (v.decoded.flags as number) & 0xf0 ? undefined : reencode(v.decoded);
    if (again !== undefined) expect(hex(again)).toBe(v.hex);
  });
});

describe('server.json: replayed against the reference server', () => {
  const exchanges = load<{ exchanges: ServerExchange[] }>('server.json').exchanges;
  it.each(exchanges.map((x) => [x.name, x] as const))('%s', async (_name, x) => {
    expect(await runServer(x)).toEqual({ sent: x.sent, drops: x.drops, runs: x.runs });
  });
});

describe('client.json: replayed against the reference client engine', () => {
  const exchanges = load<{ exchanges: ClientExchange[] }>('client.json').exchanges;
  it.each(exchanges.map((x) => [x.name, x] as const))('%s', (_name, x) => {
    expect(runClient(x)).toEqual({ sent: x.sent, outcome: x.outcome, drops: x.drops });
  });
});

describe('codec-msgpack.json: the udprpc MessagePack profile, both ways', () => {
  const vectors = load<{ vectors: CodecVector[] }>('codec-msgpack.json').vectors;
  it.each(vectors.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const bytes = unhex(v.hex!);
    const decoded = msgpackCodec.decode(bytes);
    if (v.direction === 'refuse-decode') {
      expect(decoded.ok).toBe(false);
      return;
    }
    if (!decoded.ok) throw decoded.error;
    expect(decoded.value).toStrictEqual(fromTagged(v.value));
    if (v.direction === 'both') expect(hex(msgpackCodec.encode(fromTagged(v.value)))).toBe(v.hex);
  });
});
