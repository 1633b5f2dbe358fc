// The byte strings of protocol.md Appendix A, produced by the encoders and
// the engines of @udprpc/core (and the reference address validator for
// A.11). appendix-a.test.ts checks that the document shows exactly these;
// `npx tsx --conditions=@udprpc/source test/wire/print-appendix-a.ts` prints them.
import { CodecId, type MetadataInit, type PeerAddress } from '@udprpc/core';
import {
  encodeBatch,
  encodeErrorBody,
  encodeFragmentAck,
  encodeFrame,
  encodeMethodName,
  encodePmtuProbe,
  encodePmtuProbeReply,
  parseFrame,
  type Frame,
  encodeRequestBody,
  encodeRequestFrame,
  encodeGoAwayFrame,
  encodeMetadataBlock,
  Flag,
  FrameType,
  MAX_METADATA_BLOCK_BYTES,
  withMetadataBlock,
  type FrameHeader,
} from '@udprpc/core/wire';
import { ServerEngine } from '@udprpc/core/engine';
import { msgpackCodec } from '@udprpc/codec-msgpack';
import { createAddressValidator } from '../../packages/server/src/address-validator.js';

export const SESSION = 0x1a2b3c4d;
export const CALC_ADD = encodeMethodName('calc.add');
/** `{a: 1, b: 2}` in the MessagePack profile. */
export const ARG = msgpackCodec.encode({ a: 1, b: 2 });

/** The server incarnation the examples use (protocol.md §6.3): ACK bodies (A.3) and REJECTED details (A.10) carry it. */
export const INCARNATION = 0xc0ffee01;
/** `INCARNATION` as the 4 bytes of an ACK body or REJECTED details (u32, big-endian). */
export const incarnationBytes = (incarnation = INCARNATION): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, incarnation);
  return b;
};

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').replace(/(..)(?!$)/g, '$1 ');

const header = (type: FrameHeader['type'], id: number, attempt = 0, flags = 0): FrameHeader => ({ type, flags, attempt, session: SESSION, id });

/** A REQUEST for `calc.add` as the reference client sends it (codec 1, no incarnation heard yet). */
export function request(id: number, payload: Uint8Array, opts: { attempt?: number; deadlineMs?: number; span?: number; flags?: number } = {}): Uint8Array {
  return encodeRequestFrame(header(FrameType.REQUEST, id, opts.attempt ?? 0, opts.flags ?? 0), opts.deadlineMs ?? 5000, CALC_ADD, payload, opts.span ?? 0, 0, CodecId.MSGPACK);
}

/** The request metadata of A.12: a string and a byte value (protocol.md §5.8). */
export const A12_METADATA: MetadataInit = { auth: 'k1', bin: Uint8Array.of(1, 2) };
/** A metadata block (protocol.md §5.8), encoded without a size cap. */
export const metadataBlock = (init: MetadataInit): Uint8Array => encodeMetadataBlock(init, MAX_METADATA_BLOCK_BYTES) as Uint8Array;
/** A.12: A.1 with request metadata: HAS_METADATA, the block between the method and the payload. */
export const requestWithMetadata = (id: number, init: MetadataInit, opts: { attempt?: number; deadlineMs?: number; flags?: number } = {}): Uint8Array =>
  request(id, withMetadataBlock(metadataBlock(init), ARG), { ...opts, flags: Flag.HAS_METADATA | (opts.flags ?? 0) });
/** A.13: a RESPONSE with reply metadata: HAS_METADATA, the block before the payload. */
export const responseWithMetadata = (payload: Uint8Array, init: MetadataInit, id = 7, attempt = 0): Uint8Array =>
  encodeFrame(header(FrameType.RESPONSE, id, attempt, Flag.HAS_METADATA), withMetadataBlock(metadataBlock(init), payload));

/** The examples, by the label Appendix A gives them; each value is one byte string (or, for A.10, its start and its end). */
export function appendixA(): Record<string, Uint8Array> {
  const a1 = request(7, ARG);
  const a8body = encodeRequestBody(5000, CALC_ADD, new Uint8Array(3000), 0, 0, CodecId.MSGPACK);
  const fragmentBytes = 1176;
  const fragment = (index: number, flags: number): Uint8Array => {
    const start = index * fragmentBytes;
    return encodeFrame(header(FrameType.REQUEST, 7, 0, flags), a8body.subarray(start, Math.min(a8body.length, start + fragmentBytes)), {
      totalBytes: a8body.length,
      index,
      fragmentBytes,
    });
  };
  const refusal = encodeFrame(
    header(FrameType.ERROR, 7, 0, Flag.REJECTED),
    encodeErrorBody({ code: 8, retryAfterMs: 100, message: 'the server is at its concurrency limit; try again later', details: incarnationBytes() }),
  );
  const { validate, echo } = validationExchange(a1);
  const goingAway = encodeFrame(
    header(FrameType.ERROR, 8, 0, Flag.REJECTED),
    encodeErrorBody({ code: 14, retryAfterMs: 0, message: 'the server is going away', details: incarnationBytes() }),
  );
  const probe = encodePmtuProbe({ session: SESSION, id: 1, probeBytes: 1472, confirmedBytes: 0 });
  return {
    'A.1': a1,
    'A.2': request(7, ARG, { attempt: 1, deadlineMs: 4800 }),
    'A.3': encodeFrame(header(FrameType.ACK, 7, 1), incarnationBytes()),
    'A.4': encodeFrame(header(FrameType.RESPONSE, 7), msgpackCodec.encode(3)),
    'A.5': encodeFrame(header(FrameType.ERROR, 7), encodeErrorBody({ code: 5, retryAfterMs: 0, message: 'unknown method calc.mul' })),
    'A.6': request(7, ARG, { flags: Flag.NO_REPLY, span: 0xffffffff }),
    'A.7': encodeBatch([a1, request(8, msgpackCodec.encode({ a: 3, b: 4 }), { span: 1 })]),
    'A.8 fragment 0': fragment(0, 0).subarray(0, 24),
    'A.8 fragment 1': fragment(1, 0).subarray(0, 24),
    'A.8 fragment 2': fragment(2, Flag.ACK_REQUESTED).subarray(0, 24),
    'A.8 fragment 0 body': a8body.subarray(0, 22),
    'A.9 gap': encodeFrame(header(FrameType.FRAGMENT_ACK, 7), encodeFragmentAck({ ackedType: FrameType.REQUEST, cumulative: 1, ranges: [[2, 3]] }, 1186)),
    'A.9 complete': encodeFrame(header(FrameType.FRAGMENT_ACK, 7), encodeFragmentAck({ ackedType: FrameType.REQUEST, cumulative: 3, ranges: [] }, 1186)),
    'A.10': refusal.subarray(0, 25),
    'A.10 end': refusal.subarray(refusal.length - 9),
    'A.11 VALIDATE': validate,
    'A.11 VALIDATE_ECHO': echo,
    'A.14 GOAWAY': encodeGoAwayFrame(SESSION, 30_000, INCARNATION),
    'A.14 refusal': goingAway,
    'A.12': requestWithMetadata(7, A12_METADATA),
    'A.12 block': metadataBlock(A12_METADATA),
    'A.13': responseWithMetadata(msgpackCodec.encode(3), A12_METADATA),
    'A.15 probe': probe.subarray(0, 18),
    'A.15 answer': encodePmtuProbeReply(parseFrame(probe) as Frame, 1472).subarray(0, 18),
    'A.15 report': encodePmtuProbe({ session: SESSION, id: 4, probeBytes: 18, confirmedBytes: 65_507 }),
  };
}

/** Sizes Appendix A states, checked against the frames above. */
export function appendixSizes(): Record<string, number> {
  const a8body = encodeRequestBody(5000, CALC_ADD, new Uint8Array(3000), 0, 0, CodecId.MSGPACK);
  return {
    'A.1': request(7, ARG).length,
    'A.7': encodeBatch([request(7, ARG), request(8, msgpackCodec.encode({ a: 3, b: 4 }), { span: 1 })]).length,
    'A.8 body': a8body.length,
    'A.12': requestWithMetadata(7, A12_METADATA).length,
    'A.13': responseWithMetadata(msgpackCodec.encode(3), A12_METADATA).length,
    'A.10': encodeFrame(
      header(FrameType.ERROR, 7, 0, Flag.REJECTED),
      encodeErrorBody({ code: 8, retryAfterMs: 100, message: 'the server is at its concurrency limit; try again later', details: incarnationBytes() }),
    ).length,
  };
}

/**
 * A.11: a server engine with anti-amplification on, a secret of 32 zero
 * bytes, answering A.1 from 192.0.2.10:5000 at server time 123 460 ms with a
 * 200-byte result: the 214-byte RESPONSE is held back and a VALIDATE goes
 * out. The client's echo is that frame with type VALIDATE_ECHO.
 */
function validationExchange(a1: Uint8Array): { validate: Uint8Array; echo: Uint8Array } {
  const from: PeerAddress = { address: '192.0.2.10', family: 'IPv4', port: 5000 };
  const sent: Uint8Array[] = [];
  const engine: ServerEngine = new ServerEngine({
    send: (bytes) => sent.push(bytes),
    validator: createAddressValidator((n) => new Uint8Array(n)),
    hooks: { onCall: (call) => engine.respondOk(call, new Uint8Array(200), 123_460) },
  });
  engine.receive(a1, from, 123_460);
  engine.deliver();
  const validate = sent.find((f) => f[3] === FrameType.VALIDATE);
  if (validate === undefined) throw new Error(`no VALIDATE among ${sent.length} frames`);
  const echo = validate.slice();
  echo[3] = FrameType.VALIDATE_ECHO;
  return { validate, echo };
}
