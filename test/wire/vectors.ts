// The test vectors of docs/test-vectors/, built with the encoders of
// @udprpc/core (inputs and expected outputs alike). test-vectors.test.ts
// checks that the JSON files hold exactly these and replays them against the
// real decoders, server and client; write-test-vectors.ts writes the files.
import { CodecId, type MetadataInit } from '@udprpc/core';
import {
  encodeBatch,
  encodeErrorBody,
  encodeFragmentAck,
  encodeFrame,
  encodeGoAwayFrame,
  encodeMethodName,
  encodeRequestBody,
  encodeRequestFrame,
  encodePmtuProbe,
  encodePmtuProbeReply,
  Flag,
  FrameType,
  withMetadataBlock,
  type FrameHeader,
} from '@udprpc/core/wire';
import { msgpackCodec } from '@udprpc/codec-msgpack';
import { A12_METADATA, appendixA, ARG, incarnationBytes, INCARNATION, metadataBlock, request, requestWithMetadata, responseWithMetadata, SESSION } from './appendix-a.js';
import { describeFrame, hex, type ClientExchange, type CodecVector, type FrameVector, type ServerExchange } from './vector-format.js';

const EMPTY = new Uint8Array(0);
const h = (type: FrameHeader['type'], id = 7, attempt = 0, flags = 0, session = SESSION): FrameHeader => ({ type, flags, attempt, session, id });
const frame = (type: FrameHeader['type'], body: Uint8Array = EMPTY, id = 7, attempt = 0, flags = 0, session = SESSION): Uint8Array =>
  encodeFrame(h(type, id, attempt, flags, session), body);
const response = (value: unknown, id = 7, attempt = 0): Uint8Array => frame(FrameType.RESPONSE, msgpackCodec.encode(value), id, attempt);
/** An ERROR; one with REJECTED carries the server's incarnation as its details (§5.3). */
const error = (code: number, message: string, id = 7, attempt = 0, flags = 0, retryAfterMs = 0): Uint8Array =>
  frame(FrameType.ERROR, encodeErrorBody({ code, retryAfterMs, message, ...((flags & Flag.REJECTED) !== 0 ? { details: incarnationBytes() } : {}) }), id, attempt, flags);
const ack = (ackedType: number, cumulative: number, ranges: Array<[number, number]> = [], id = 7, flags = 0): Uint8Array =>
  frame(FrameType.FRAGMENT_ACK, encodeFragmentAck({ ackedType, cumulative, ranges }, 1186), id, 0, flags);
const patched = (bytes: Uint8Array, at: number, value: number): Uint8Array => {
  const copy = bytes.slice();
  copy[at] = value;
  return copy;
};
const requestWith = (id: number, method: string, payload: Uint8Array, codec: number, deadlineMs = 5000, flags = 0, session = SESSION): Uint8Array =>
  encodeRequestFrame(h(FrameType.REQUEST, id, 0, flags, session), deadlineMs, encodeMethodName(method), payload, 0, 0, codec);

/** A path MTU probe of `bytes` bytes (§7.5) and the server's answer to it. */
const probe = (id: number, bytes: number, confirmedBytes: number): Uint8Array => encodePmtuProbe({ session: SESSION, id, probeBytes: bytes, confirmedBytes });
const probeReply = (id: number, bytes: number): Uint8Array => {
  const ping = probe(id, bytes, 0);
  return encodePmtuProbeReply({ type: FrameType.PING, flags: Flag.PMTU_PROBE, attempt: 0, session: SESSION, id, fragment: undefined, body: ping.subarray(14) }, bytes);
};

/**
 * A request for calc.add whose body is cut into 1176-byte fragments (A.8's
 * shape), with 2900 bytes of padding in the argument; with `metadata`, its
 * block goes before the argument and every fragment has HAS_METADATA (§5.8).
 */
function fragmentedRequest(id: number, flags: number, metadata?: MetadataInit): Uint8Array[] {
  const arg = msgpackCodec.encode({ a: 1, b: 2, pad: new Uint8Array(2900) });
  const body = encodeRequestBody(5000, encodeMethodName('calc.add'), metadata === undefined ? arg : withMetadataBlock(metadataBlock(metadata), arg), 0, 0, CodecId.MSGPACK);
  if (metadata !== undefined) flags |= Flag.HAS_METADATA;
  const fragmentBytes = 1176;
  const count = Math.ceil(body.length / fragmentBytes);
  return Array.from({ length: count }, (_, index) =>
    encodeFrame(
      h(FrameType.REQUEST, id, 0, flags | (index === count - 1 ? Flag.ACK_REQUESTED : 0)),
      body.subarray(index * fragmentBytes, Math.min(body.length, (index + 1) * fragmentBytes)),
      { totalBytes: body.length, index, fragmentBytes },
    ),
  );
}

// --------------------------------------------------------------------------
// frames.json: one frame each, decoded by the real decoders.

function frameCases(): [string, string, Uint8Array][] {
  const A = appendixA();
  const a1 = A['A.1']!;
  const [frag0] = fragmentedRequest(7, 0);
  return [
    ['request', 'A.1: a REQUEST for calc.add({a: 1, b: 2}), codec 1', a1],
    ['request-retransmission', 'A.2: attempt 1, 4800 ms left', A['A.2']!],
    ['notification', 'A.6: NO_REPLY, span 0xFFFFFFFF', A['A.6']!],
    ['request-json-codec', 'A REQUEST naming codec 2 (JSON), payload {"a":1,"b":2}', requestWith(7, 'calc.add', new TextEncoder().encode('{"a":1,"b":2}'), CodecId.JSON)],
    ['request-empty-method-and-payload', 'Method length 0 and an empty payload decode; the server answers NOT_FOUND', requestWith(7, '', EMPTY, 1)],
    ['request-session-0', 'Session 0 is an ordinary session to a server (§6.1)', requestWith(7, 'calc.add', ARG, 1, 5000, 0, 0)],
    ['request-fragment', 'Fragment 0 of a fragmented REQUEST: the body is a slice of the message body', frag0!],
    ['response', 'A.4: RESPONSE with msgpack 3', A['A.4']!],
    ['response-empty', 'A RESPONSE with an empty payload (undefined)', frame(FrameType.RESPONSE)],
    ['error', 'A.5: ERROR NOT_FOUND', A['A.5']!],
    ['error-rejected', 'A.10: an admission refusal: REJECTED, RESOURCE_EXHAUSTED, retry after 100 ms; the details are the server incarnation 0xC0FFEE01', error(8, 'the server is at its concurrency limit; try again later', 7, 0, Flag.REJECTED, 100)],
    ['error-with-details', 'ERROR FAILED_PRECONDITION with msgpack details {balance: 3}', frame(FrameType.ERROR, encodeErrorBody({ code: 9, retryAfterMs: 0, message: 'no', details: msgpackCodec.encode({ balance: 3 }) }))],
    ['error-code-0', 'Code 0 is never sent; a receiver maps it to UNKNOWN (§5.3)', error(0, 'x')],
    ['ack', 'A.3: ACK echoing attempt 1; its body is the server incarnation 0xC0FFEE01', A['A.3']!],
    ['ack-with-trailing-bytes', 'Bytes after the 4-byte incarnation of an ACK are ignored (§5.4)', frame(FrameType.ACK, Uint8Array.of(...incarnationBytes(), 1, 2, 3))],
    ['ack-without-incarnation', 'An ACK shorter than 4 bytes (an earlier revision) names no incarnation; its bytes are ignored (§5.4)', frame(FrameType.ACK, Uint8Array.of(1, 2, 3))],
    ['cancel', 'CANCEL for call 7', frame(FrameType.CANCEL, EMPTY, 7, 1)],
    ['ping', 'PING', frame(FrameType.PING, EMPTY, 1)],
    ['pong', 'PONG', frame(FrameType.PONG, EMPTY, 1)],
    ['fragment-ack-gap', 'A.9: cumulative 1, range [2, 3)', A['A.9 gap']!],
    ['fragment-ack-complete', 'A.9: cumulative 3', A['A.9 complete']!],
    ['fragment-ack-stalled', 'A client asking for missing reply fragments: STALLED, acked type RESPONSE', ack(FrameType.RESPONSE, 2, [[4, 6]], 7, Flag.ACK_REQUESTED)],
    ['validate', 'A.11: VALIDATE with a 20-byte token', A['A.11 VALIDATE']!],
    ['validate-echo', 'A.11: VALIDATE_ECHO', A['A.11 VALIDATE_ECHO']!],
    ['batch', 'A.7: BATCH of two REQUESTs', A['A.7']!],
    ['goaway', 'A.14: GOAWAY for session 0x1A2B3C4D: the server stops answering within 30 000 ms; incarnation 0xC0FFEE01 (§5.9)', A['A.14 GOAWAY']!],
    ['goaway-trailing-bytes', 'Bytes after the 8-byte GOAWAY body are ignored (§5.9, §10)', Uint8Array.of(...A['A.14 GOAWAY']!, 1, 2)],
    ['error-going-away', 'A.14: a draining server refuses call 8: REJECTED, UNAVAILABLE, retry after 0; the details are the incarnation (§5.9)', A['A.14 refusal']!],
    // Call metadata (§5.8).
    ['request-with-metadata', 'A.12: HAS_METADATA, the block {auth: "k1", bin: 01 02} between the method and the payload', A['A.12']!],
    ['response-with-metadata', 'A.13: HAS_METADATA, the block before the payload', A['A.13']!],
    ['error-with-metadata', 'An ERROR with HAS_METADATA: the block {fail: "x"}, then the §5.3 fields', errorWithMetadata(7)],
    ['request-fragment-with-metadata', 'Fragment 0 of a fragmented REQUEST with metadata: HAS_METADATA on the fragment, the block inside the body slice', fragmentedRequest(7, 0, A12_METADATA)[0]!],
    ['metadata-empty-block', 'A RESPONSE whose block has length 0: no entries, accepted (senders should clear the flag instead)', frame(FrameType.RESPONSE, withMetadataBlock(rawBlocks.empty, msgpackCodec.encode(3)), 7, 0, Flag.HAS_METADATA)],
    ['metadata-reserved-key', 'A REQUEST with the reserved key udprpc-x: the block is not malformed (§5.8)', requestWithRawBlock(rawBlocks.reservedKey)],
    ['metadata-truncated', 'A REQUEST whose block length runs past the body: truncated', truncatedBlockRequest()],
    ['metadata-duplicate-key', 'A block with the key a twice: malformed', requestWithRawBlock(rawBlocks.duplicateKey)],
    ['metadata-bad-kind', 'A block with value kind 2: malformed', requestWithRawBlock(rawBlocks.badKind)],
    ['metadata-upper-case-key', 'A block with the key A: malformed', requestWithRawBlock(rawBlocks.upperCaseKey)],
    ['metadata-empty-key', 'A block with key length 0: malformed', requestWithRawBlock(rawBlocks.emptyKey)],
    ['metadata-string-not-utf8', 'A string value that is not UTF-8: malformed', requestWithRawBlock(rawBlocks.notUtf8)],
    ['metadata-entry-past-block', 'An entry running past the block length: malformed', requestWithRawBlock(rawBlocks.entryPastBlock)],
    ['metadata-flag-on-ack', 'HAS_METADATA on an ACK (defined for REQUEST, RESPONSE and ERROR only) is ignored', frame(FrameType.ACK, incarnationBytes(), 7, 0, Flag.HAS_METADATA)],
    ['reserved-flags', 'Flags 0x10, 0x20 and 0x80 are ignored on a RESPONSE (§3.2)', patched(A['A.4']!, 4, 0xb0)],
    // Refused by the decoders, with the reason of the first failing check (§3.1, §11).
    ['truncated-header', 'Shorter than 14 bytes', a1.subarray(0, 13)],
    ['empty-datagram', 'An empty datagram', EMPTY],
    ['bad-magic', 'Byte 0 is not 0x75', patched(a1, 0, 0x55)],
    ['unsupported-version-0', 'Version 0', patched(a1, 2, 0)],
    ['unsupported-version-2', 'Version 2', patched(a1, 2, 2)],
    ['unknown-type-0', 'Type 0 is never valid', patched(a1, 3, 0)],
    ['unknown-type-255', 'Type 255 is unassigned', patched(a1, 3, 255)],
    ['bad-magic-before-version', 'Both magic and version wrong: bad-magic, the earlier check', patched(patched(a1, 0, 0), 2, 9)],
    ['fragment-without-extension', 'FRAGMENT set, 20 bytes', patched(a1.subarray(0, 20), 4, Flag.FRAGMENT)],
    ['fragment-bytes-zero', 'Fragment bytes 0', patched(patched(frag0!, 22, 0), 23, 0)],
    ['fragment-index-beyond-count', 'Index 3 of a 3-fragment message', patched(frag0!, 21, 3)],
    ['fragment-wrong-length', 'A non-last fragment one byte short', frag0!.subarray(0, frag0!.length - 1)],
    ['request-body-short', 'A REQUEST body of 13 bytes', frame(FrameType.REQUEST, new Uint8Array(13))],
    ['request-method-past-end', 'The method length runs past the end', a1.subarray(0, 14 + 14 + 4)],
    ['request-method-not-utf8', 'A method name that is not UTF-8', requestWithRawMethod(Uint8Array.of(0xff, 0xfe, 0x2e))],
    ['error-body-short', 'An ERROR body of 6 bytes', frame(FrameType.ERROR, new Uint8Array(6))],
    ['error-message-past-end', 'An ERROR whose message length runs past the end', frame(FrameType.ERROR, Uint8Array.of(2, 0, 0, 0, 0, 0, 9, 0x61))],
    ['error-message-not-utf8', 'An ERROR message that is not UTF-8', frame(FrameType.ERROR, Uint8Array.of(2, 0, 0, 0, 0, 0, 1, 0xff))],
    ['fragment-ack-short', 'A FRAGMENT_ACK body of 6 bytes', frame(FrameType.FRAGMENT_ACK, new Uint8Array(6))],
    ['fragment-ack-ranges-missing', 'Range count 2, one range present', patched(ack(FrameType.RESPONSE, 0, [[2, 3]]), 14 + 6, 2)],
    ['fragment-ack-range-below-cumulative', 'A range starting below cumulative', ack(FrameType.RESPONSE, 3, [[2, 4]])],
    ['fragment-ack-ranges-overlap', 'Ranges out of order', ack(FrameType.RESPONSE, 0, [[5, 6], [2, 3]])],
    ['fragment-ack-empty-range', 'A range with end = start', ack(FrameType.RESPONSE, 0, [[2, 2]])],
    ['batch-empty', 'A BATCH with no entry', frame(FrameType.BATCH, EMPTY, 0, 0, 0, 0)],
    ['batch-nested', 'A BATCH inside a BATCH', encodeBatch([encodeBatch([A['A.4']!])])],
    ['batch-entry-too-short', 'An entry length below 14', patched(encodeBatch([A['A.4']!]), 15, 13)],
    ['batch-entry-past-end', 'An entry running past the datagram', encodeBatch([A['A.4']!]).subarray(0, 20)],
    ['batch-dangling-length', 'One byte where a length is expected', Uint8Array.of(...encodeBatch([A['A.4']!]), 0)],
    ['batch-513-entries', 'More than 512 entries', encodeBatch(Array.from({ length: 513 }, () => A['A.3']!))],
  ];
}

/** A REQUEST for calc.add({a: 1, b: 2}) with HAS_METADATA and `block` as its metadata block, whatever its bytes (§5.8). */
const requestWithRawBlock = (block: Uint8Array, id = 7, flags = 0): Uint8Array => request(id, withMetadataBlock(block, ARG), { flags: Flag.HAS_METADATA | flags });
/** Raw metadata blocks, each breaking one rule of §5.8 (or, the last ones, keeping them at an edge). */
const rawBlocks = {
  /** Block length 19, only 5 bytes of entries present before the payload ends. */
  truncated: Uint8Array.of(0x00, 0x13, 0x04, 0x61, 0x75, 0x74, 0x68),
  /** `a` twice. */
  duplicateKey: Uint8Array.of(0x00, 0x0c, 0x01, 0x61, 0x00, 0x00, 0x01, 0x78, 0x01, 0x61, 0x00, 0x00, 0x01, 0x79),
  /** Value kind 2. */
  badKind: Uint8Array.of(0x00, 0x06, 0x01, 0x61, 0x02, 0x00, 0x01, 0x78),
  /** Key `A` (upper case). */
  upperCaseKey: Uint8Array.of(0x00, 0x06, 0x01, 0x41, 0x00, 0x00, 0x01, 0x78),
  /** Key length 0. */
  emptyKey: Uint8Array.of(0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0x78),
  /** A string value 0xFF: not UTF-8. */
  notUtf8: Uint8Array.of(0x00, 0x06, 0x01, 0x61, 0x00, 0x00, 0x01, 0xff),
  /** An entry whose value length (9) runs past the block length (6). */
  entryPastBlock: Uint8Array.of(0x00, 0x06, 0x01, 0x61, 0x00, 0x00, 0x09, 0x78),
  /** Block length 0: no entries, accepted. */
  empty: Uint8Array.of(0x00, 0x00),
  /** Key `udprpc-x`: reserved, but a receiver accepts it (an encoder refuses to write it). */
  reservedKey: Uint8Array.of(0x00, 0x0d, 0x08, ...new TextEncoder().encode('udprpc-x'), 0x00, 0x00, 0x01, 0x79),
};
/** A REQUEST whose body ends inside its metadata block (the block says 19 bytes of entries, 5 follow, no payload). */
const truncatedBlockRequest = (): Uint8Array => requestWithRawBlock(rawBlocks.truncated).subarray(0, 14 + 14 + 8 + rawBlocks.truncated.length);
/** The ERROR server.json's server sends for request metadata {fail: "x"}: the block, then FAILED_PRECONDITION. */
const errorWithMetadata = (id: number, attempt = 0): Uint8Array =>
  frame(FrameType.ERROR, withMetadataBlock(metadataBlock({ fail: 'x' }), encodeErrorBody({ code: 9, retryAfterMs: 0, message: 'failed as asked' })), id, attempt, Flag.HAS_METADATA);
/** A RESPONSE for call 7 with A.12's metadata and a 1500-character string result, in two 1176-byte fragments, the last with ACK_REQUESTED. */
function fragmentedResponseWithMetadata(): Uint8Array[] {
  const body = withMetadataBlock(metadataBlock(A12_METADATA), msgpackCodec.encode('y'.repeat(1500)));
  const fragmentBytes = 1176;
  return [0, 1].map((index) =>
    encodeFrame(h(FrameType.RESPONSE, 7, 0, Flag.HAS_METADATA | (index === 1 ? Flag.ACK_REQUESTED : 0)), body.subarray(index * fragmentBytes, Math.min(body.length, (index + 1) * fragmentBytes)), {
      totalBytes: body.length,
      index,
      fragmentBytes,
    }),
  );
}
/** A `size`-byte metadata block: one string entry `big` of x's. */
const blockOfSize = (size: number): MetadataInit => ({ big: 'x'.repeat(size - 2 - 4 - 3) });

function requestWithRawMethod(method: Uint8Array): Uint8Array {
  return encodeRequestFrame(h(FrameType.REQUEST), 5000, method, EMPTY, 0, 0, 1);
}

export function frameVectors(): FrameVector[] {
  return frameCases().map(([name, description, bytes]) => ({ name, description, hex: hex(bytes), decoded: describeFrame(bytes) }));
}

// --------------------------------------------------------------------------
// server.json: exchanges with a fresh reference server.

/**
 * The server of server.json: `createServer` with the MessagePack codec,
 * anti-amplification and coalescing off, one service `calc` with one
 * (non-idempotent) method `add({a, b}) → a + b`, on a clock that starts at 0.
 */
export const SERVER_SETUP =
  'createServer({ codec: msgpackCodec, antiAmplification: false, coalesce: false }).implement(calc, { add: ({a, b}, ctx) => a + b }) with calc = defineContract("calc", { add: method() }), clock at 0 ms; the handler sets every request metadata entry as reply metadata (except reserved udprpc-* keys, which it may not send), and throws RpcError FAILED_PRECONDITION "failed as asked" when the request metadata has the key `fail`';

export function serverExchanges(): ServerExchange[] {
  const A = appendixA();
  const at0 = (...frames: Uint8Array[]): { atMs: number; hex: string }[] => frames.map((f) => ({ atMs: 0, hex: hex(f) }));
  const x = (name: string, description: string, datagrams: { atMs: number; hex: string }[], sent: Uint8Array[], drops: Record<string, number> = {}, runs = 0): ServerExchange => ({
    name,
    description,
    datagrams,
    sent: sent.map(hex),
    drops,
    runs,
  });
  const frags = fragmentedRequest(9, 0);
  const notifyFrags = fragmentedRequest(10, Flag.NO_REPLY);
  const c1 = Uint8Array.of(0xc1);
  const undecodable = msgpackCodec.decode(c1);
  const describePayload = msgpackCodec.encode([{ service: 'calc', methods: [{ name: 'add', idempotent: false }] }]);
  return [
    x('call', 'A.1 is answered by A.4', at0(A['A.1']!), [A['A.4']!], {}, 1),
    x('retransmission-of-a-finished-call', 'A.2 after A.1: the cached reply again, attempt rewritten to 1; the handler ran once', [{ atMs: 0, hex: hex(A['A.1']!) }, { atMs: 200, hex: hex(A['A.2']!) }], [A['A.4']!, response(3, 7, 1)], {}, 1),
    x('notification', 'A.6 runs the handler and sends nothing; a copy of it is a duplicate', at0(A['A.6']!, A['A.6']!), [], { duplicate: 1 }, 1),
    x('batch', 'A.7: both calls answered', at0(A['A.7']!), [A['A.4']!, response(7, 8)], {}, 2),
    x('codec-mismatch', 'A request naming codec 2 (JSON) at a msgpack server: UNIMPLEMENTED naming both, handler not run (§5.7)', at0(requestWith(7, 'calc.add', new TextEncoder().encode('{"a":1,"b":2}'), CodecId.JSON)), [error(12, "the request's payload codec is json; this server's codec is msgpack (id 1)")]),
    x('codec-mismatch-notification', 'A notification naming codec 2: not run, and nothing sent (§5.7)', at0(requestWith(7, 'calc.add', new TextEncoder().encode('{"a":1,"b":2}'), CodecId.JSON, 5000, Flag.NO_REPLY)), []),
    x('codec-0', 'Codec id 0 is never valid: UNIMPLEMENTED', at0(requestWith(7, 'calc.add', ARG, 0)), [error(12, "the request's payload codec is none (0); this server's codec is msgpack (id 1)")]),
    x('codec-private', 'A private codec id (200) the server does not use: UNIMPLEMENTED', at0(requestWith(7, 'calc.add', ARG, 200)), [error(12, "the request's payload codec is private codec 200; this server's codec is msgpack (id 1)")]),
    x('unknown-method', 'A.5: NOT_FOUND', at0(requestWith(7, 'calc.mul', ARG, 1)), [A['A.5']!]),
    x('undecodable-payload', 'A payload outside the MessagePack profile (0xC1): INVALID_ARGUMENT, handler not run', at0(requestWith(7, 'calc.add', c1, 1)), [error(3, `could not decode the request: ${undecodable.ok ? '' : undecodable.error.message}`)]),
    x('expired', 'Remaining deadline 0: dropped as expired, nothing sent', at0(requestWith(7, 'calc.add', ARG, 1, 0)), [], { expired: 1 }),
    x('describe', 'udprpc.describe with an empty payload: the service list (§5.7.3)', at0(requestWith(7, 'udprpc.describe', EMPTY, 1)), [frame(FrameType.RESPONSE, describePayload)]),
    // Call metadata (§5.8).
    x('call-with-metadata', 'A.12 is answered by A.13: the request metadata, sent back as reply metadata', at0(A['A.12']!), [A['A.13']!], {}, 1),
    x('retransmission-with-metadata', 'A.12, then its retransmission: the cached A.13 again, metadata included, attempt rewritten to 1; the handler ran once', [{ atMs: 0, hex: hex(A['A.12']!) }, { atMs: 200, hex: hex(requestWithMetadata(7, A12_METADATA, { attempt: 1, deadlineMs: 4800 })) }], [A['A.13']!, responseWithMetadata(msgpackCodec.encode(3), A12_METADATA, 7, 1)], {}, 1),
    x('error-with-metadata', 'Request metadata {fail: "x"}: the handler sets it as reply metadata and throws; the ERROR carries the block', at0(requestWithMetadata(7, { fail: 'x' })), [errorWithMetadata(7)], {}, 1),
    x('fragmented-request-with-metadata', 'Three fragments with HAS_METADATA, the block in fragment 0: the completing ack, then a RESPONSE with the reply metadata', at0(...fragmentedRequest(11, 0, A12_METADATA)), [ack(FrameType.REQUEST, 3, [], 11), responseWithMetadata(msgpackCodec.encode(3), A12_METADATA, 11)], {}, 1),
    x('metadata-over-cap', 'One datagram (a server takes any size it is given, §9) with an 8193-byte block, above the default 8192-byte cap: RESOURCE_EXHAUSTED, flags 0, no entry, the handler not run (§5.8)', at0(requestWithMetadata(7, blockOfSize(8193))), [error(8, "request metadata is 8193 bytes, above the server's 8192-byte limit")]),
    x('metadata-over-cap-notification', 'The same as a notification: dropped, oversize, nothing sent', at0(requestWithMetadata(7, blockOfSize(8193), { flags: Flag.NO_REPLY })), [], { oversize: 1 }),
    x('metadata-truncated', 'A block running past the body: dropped, truncated, nothing sent', at0(truncatedBlockRequest()), [], { truncated: 1 }),
    x('metadata-malformed', 'Blocks with a duplicate key, value kind 2, an upper-case key: each dropped, malformed, the handler not run', at0(requestWithRawBlock(rawBlocks.duplicateKey, 7), requestWithRawBlock(rawBlocks.badKind, 8), requestWithRawBlock(rawBlocks.upperCaseKey, 9)), [], { malformed: 3 }),
    x('metadata-empty-block', 'A block of length 0 is accepted: the call runs, and the reply has no metadata (flag clear)', at0(requestWithRawBlock(rawBlocks.empty)), [A['A.4']!], {}, 1),
    x('metadata-reserved-key', 'The reserved key udprpc-x is accepted and the handler runs (it may not send the key back, so the reply has no metadata)', at0(requestWithRawBlock(rawBlocks.reservedKey)), [A['A.4']!], {}, 1),
    x('session-0', 'A request with session 0 is served like any other (§6.1)', at0(requestWith(7, 'calc.add', ARG, 1, 5000, 0, 0)), [frame(FrameType.RESPONSE, msgpackCodec.encode(3), 7, 0, 0, 0)], {}, 1),
    x('ping', 'PING with session 0 is answered by PONG echoing session, id and attempt', at0(frame(FrameType.PING, EMPTY, 5, 3, 0, 0)), [frame(FrameType.PONG, EMPTY, 5, 3, 0, 0)]),
    x('ping-trailing-bytes', 'Bytes after a PING header are ignored; the PONG has none', at0(frame(FrameType.PING, Uint8Array.of(1, 2), 5)), [frame(FrameType.PONG, EMPTY, 5)]),
    x('reserved-flags-ignored', 'A.1 with flag bits 0x10 and 0x20 (defined for ERROR only) and 0x80 (defined for PING and PONG only) set: served as A.1 (§3.2); the reply has flags 0', at0(patched(A['A.1']!, 4, 0xb0)), [A['A.4']!], {}, 1),
    x('pmtu-probe', 'A path MTU probe: a PING with PMTU_PROBE padded to 1472 bytes is answered by a PONG with PMTU_PROBE of the same 1472 bytes, naming that size (§7.5)', at0(probe(5, 1472, 0)), [probeReply(5, 1472)]),
    x('pmtu-report', 'A report: an 18-byte probe PING saying 65 507 bytes were confirmed is answered at its own size, 18 bytes (§7.5)', at0(probe(6, 18, 65_507)), [probeReply(6, 18)]),
    x('pmtu-probe-short-body', 'A PING with PMTU_PROBE but a body too short for the confirmed size is a plain PING: an empty PONG (§5.4, §7.5)', at0(frame(FrameType.PING, Uint8Array.of(0, 0), 5, 0, Flag.PMTU_PROBE)), [frame(FrameType.PONG, EMPTY, 5)]),
    x('flag-on-other-type-ignored', 'A PING with REJECTED and ACK_REQUESTED set (defined for other types): a plain PONG', at0(frame(FrameType.PING, EMPTY, 5, 0, Flag.REJECTED | Flag.ACK_REQUESTED)), [frame(FrameType.PONG, EMPTY, 5)]),
    x('fragment-copy-with-ack-requested', 'A copy of fragment 0 with ACK_REQUESTED while the request is being reassembled: acknowledged at once (§3.2), although it is not new', at0(frags[0]!, patched(frags[0]!, 4, Flag.FRAGMENT | Flag.ACK_REQUESTED)), [ack(FrameType.REQUEST, 1, [], 9)]),
    x('cancel-unknown', 'A CANCEL for no call is ignored and not counted', at0(frame(FrameType.CANCEL, EMPTY, 99)), []),
    x('fragmented-request', 'Three fragments, the last with ACK_REQUESTED: the completing ack (cumulative 3), then the RESPONSE', at0(...frags), [ack(FrameType.REQUEST, 3, [], 9), response(3, 9)], {}, 1),
    x('fragmented-request-gap', 'Fragment 2 before fragment 1: an ack at once (gap, ACK_REQUESTED), then the completing ack and the RESPONSE', at0(frags[0]!, frags[2]!, frags[1]!), [ack(FrameType.REQUEST, 1, [[2, 3]], 9), ack(FrameType.REQUEST, 3, [], 9), response(3, 9)], {}, 1),
    x('fragmented-notification', 'Fragments with NO_REPLY (a sender MUST NOT, §6.5): reassembled and acknowledged, then run as a notification, no reply', at0(...notifyFrags), [ack(FrameType.REQUEST, 3, [], 10)], {}, 1),
    x('duplicate-stray-fragment', 'A copy of a fragment without ACK_REQUESTED after the call has an entry: duplicate', at0(...frags, frags[0]!), [ack(FrameType.REQUEST, 3, [], 9), response(3, 9)], { duplicate: 1 }, 1),
    x('fragment-ack-unknown-call', 'A well-formed FRAGMENT_ACK for no reply transfer: unknown-call', at0(ack(FrameType.RESPONSE, 1, [], 99)), [], { 'unknown-call': 1 }),
    x('fragment-ack-malformed-unknown-call', 'A malformed FRAGMENT_ACK for no call: malformed (the body is checked first, §11)', at0(ack(FrameType.RESPONSE, 0, [[5, 6], [2, 3]], 99)), [], { malformed: 1 }),
    x('fragment-ack-truncated-unknown-call', 'A truncated FRAGMENT_ACK for no call: truncated', at0(frame(FrameType.FRAGMENT_ACK, new Uint8Array(6), 99)), [], { truncated: 1 }),
    x('unexpected-frames', 'RESPONSE, ERROR, ACK, PONG, VALIDATE and GOAWAY at a server: unexpected-frame', at0(A['A.4']!, A['A.5']!, A['A.3']!, frame(FrameType.PONG), A['A.11 VALIDATE']!, A['A.14 GOAWAY']!), [], { 'unexpected-frame': 6 }),
    x('validate-echo-without-validation', 'A VALIDATE_ECHO while anti-amplification is off: bad-token', at0(A['A.11 VALIDATE_ECHO']!), [], { 'bad-token': 1 }),
    x('header-errors', 'Datagrams refused by the header checks, each under its reason', at0(A['A.1']!.subarray(0, 13), patched(A['A.1']!, 0, 0x55), patched(A['A.1']!, 2, 2), patched(A['A.1']!, 3, 255)), [], { truncated: 1, 'bad-magic': 1, 'unsupported-version': 1, 'unknown-type': 1 }),
    x('batch-with-a-bad-entry', 'A BATCH whose first entry is a truncated REQUEST body: that entry is dropped, the second served', at0(encodeBatch([frame(FrameType.REQUEST, new Uint8Array(13), 6), A['A.1']!])), [A['A.4']!], { truncated: 1 }, 1),
    x('batch-nested', 'A BATCH inside a BATCH: the whole datagram is malformed', at0(encodeBatch([encodeBatch([A['A.1']!])])), [], { malformed: 1 }),
    x('request-method-not-utf8', 'A method that is not UTF-8: malformed, nothing sent', at0(requestWithRawMethod(Uint8Array.of(0xff, 0xfe, 0x2e))), [], { malformed: 1 }),
  ];
}

// --------------------------------------------------------------------------
// client.json: a call by a fresh reference client, then datagrams for it.

/**
 * The client of client.json: a `ClientEngine` with session 0x1A2B3C4D, first
 * message id 7, codec 1, calling calc.add({a: 1, b: 2}) with a 5000 ms
 * deadline at time 0 on the server 192.0.2.1:4000. Its first datagram is A.1.
 */
export const CLIENT_SETUP = 'ClientEngine (session 0x1A2B3C4D, first id 7, codec 1) calls calc.add({a: 1, b: 2}) on 192.0.2.1:4000 at 0 ms with a 5000 ms deadline; datagrams arrive at 10 ms';

export function clientExchanges(): ClientExchange[] {
  const A = appendixA();
  const a1 = hex(A['A.1']!);
  const x = (name: string, description: string, datagrams: ClientExchange['datagrams'], sent: Uint8Array[], outcome: ClientExchange['outcome'], drops: Record<string, number> = {}): ClientExchange => ({
    name,
    description,
    datagrams,
    sent: [a1, ...sent.map(hex)],
    outcome,
    drops,
  });
  const server = (f: Uint8Array): { from: 'server'; hex: string } => ({ from: 'server', hex: hex(f) });
  return [
    x('response', 'A.4 settles the call with 3', [server(A['A.4']!)], [], { ok: true, payload: '03' }),
    x('error', 'A.5 fails the call with a remote NOT_FOUND', [server(A['A.5']!)], [], { ok: false, code: 'NOT_FOUND', remote: true }),
    x('error-code-0', 'Code 0 is received as UNKNOWN', [server(error(0, 'x'))], [], { ok: false, code: 'UNKNOWN', remote: true }),
    x('error-code-200', 'An unassigned code is received as UNKNOWN', [server(error(200, 'x'))], [], { ok: false, code: 'UNKNOWN', remote: true }),
    x('rejected-without-retry-after', 'REJECTED with retry after 0 fails the call at once (§8.1)', [server(error(8, 'busy', 7, 0, Flag.REJECTED))], [], { ok: false, code: 'RESOURCE_EXHAUSTED', remote: true }),
    x('flag-on-other-type-ignored', 'A.4 with REJECTED and NO_REPLY set (defined for other types) settles the call as A.4', [server(patched(A['A.4']!, 4, Flag.REJECTED | Flag.NO_REPLY))], [], { ok: true, payload: '03' }),
    x('ack', 'An ACK (naming the server incarnation) does not end the call', [server(frame(FrameType.ACK, incarnationBytes()))], [], { pending: true }),
    x('validate', 'A.11: a VALIDATE is echoed, token unchanged, to its source', [server(A['A.11 VALIDATE']!)], [A['A.11 VALIDATE_ECHO']!], { pending: true }),
    x('wrong-peer', 'A.4 from another address: wrong-peer, the call goes on', [{ from: 'other', hex: hex(A['A.4']!) }], [], { pending: true }, { 'wrong-peer': 1 }),
    x('wrong-session', 'A RESPONSE for another session: unknown-call', [server(frame(FrameType.RESPONSE, msgpackCodec.encode(3), 7, 0, 0, SESSION + 1))], [], { pending: true }, { 'unknown-call': 1 }),
    x('session-0', 'A RESPONSE with session 0: unknown-call (a client never uses session 0)', [server(frame(FrameType.RESPONSE, msgpackCodec.encode(3), 7, 0, 0, 0))], [], { pending: true }, { 'unknown-call': 1 }),
    x('unknown-id', 'A RESPONSE for id 8: unknown-call', [server(response(3, 8))], [], { pending: true }, { 'unknown-call': 1 }),
    x('fragment-ack-truncated-unknown-call', 'A truncated FRAGMENT_ACK for another id: truncated (the body is checked first, §11)', [server(frame(FrameType.FRAGMENT_ACK, new Uint8Array(6), 8))], [], { pending: true }, { truncated: 1 }),
    x('fragment-ack-without-transfer', 'A FRAGMENT_ACK for a call sent in one datagram: unexpected-frame', [server(ack(FrameType.REQUEST, 1))], [], { pending: true }, { 'unexpected-frame': 1 }),
    x('unexpected-frames', 'REQUEST, CANCEL, PING and VALIDATE_ECHO at a client: unexpected-frame; a plain PONG with the call\'s session and id is not its answer (§5.4): ignored, not counted, the call still pending', [server(A['A.1']!), server(frame(FrameType.CANCEL)), server(frame(FrameType.PING)), server(frame(FrameType.PONG)), server(A['A.11 VALIDATE_ECHO']!)], [], { pending: true }, { 'unexpected-frame': 4 }),
    x('error-body-truncated', 'An ERROR body of 6 bytes: truncated, the call goes on', [server(frame(FrameType.ERROR, new Uint8Array(6)))], [], { pending: true }, { truncated: 1 }),
    x('goaway', 'A.14: a GOAWAY in the call\'s session from the server it called is heeded: nothing is dropped, the call goes on (it finishes there, §5.9)', [server(A['A.14 GOAWAY']!)], [], { pending: true }),
    x('goaway-wrong-session', 'A GOAWAY for another session: unknown-call, not heeded', [server(encodeGoAwayFrame(SESSION + 1, 30_000, INCARNATION))], [], { pending: true }, { 'unknown-call': 1 }),
    x('goaway-wrong-peer', 'A GOAWAY from an address the client never called: wrong-peer, not heeded', [{ from: 'other', hex: hex(A['A.14 GOAWAY']!) }], [], { pending: true }, { 'wrong-peer': 1 }),
    x('goaway-other-incarnation', 'After an ACK naming incarnation 0xC0FFEE01, a GOAWAY naming 0xC0FFEE02 (a late one from an earlier server): dropped as duplicate', [server(frame(FrameType.ACK, incarnationBytes())), server(encodeGoAwayFrame(SESSION, 30_000, INCARNATION + 1))], [], { pending: true }, { duplicate: 1 }),
    x('goaway-truncated', 'A GOAWAY body of 7 bytes: truncated', [server(A['A.14 GOAWAY']!.subarray(0, 21))], [], { pending: true }, { truncated: 1 }),
    x('going-away-refusal', 'A.14: the refusal of a draining server fails the call at once with a remote UNAVAILABLE: not run, safe to send elsewhere', [server(error(14, 'the server is going away', 7, 0, Flag.REJECTED))], [], { ok: false, code: 'UNAVAILABLE', remote: true }),
    x('batch', 'A BATCH of an ACK and the RESPONSE', [server(encodeBatch([frame(FrameType.ACK), A['A.4']!]))], [], { ok: true, payload: '03' }),
    // Reply metadata (§5.8).
    x('response-with-metadata', 'A.13 settles the call with 3 and the reply metadata', [server(A['A.13']!)], [], { ok: true, payload: '03', metadata: [{ key: 'auth', string: 'k1' }, { key: 'bin', bytes: '01 02' }] }),
    x('error-with-metadata', 'An ERROR with reply metadata: the RpcError carries it', [server(errorWithMetadata(7))], [], { ok: false, code: 'FAILED_PRECONDITION', remote: true, metadata: [{ key: 'fail', string: 'x' }] }),
    x('fragmented-response-with-metadata', 'A RESPONSE with metadata in two fragments (HAS_METADATA on both): the completing FRAGMENT_ACK, then the call settles with the metadata', fragmentedResponseWithMetadata().map(server), [ack(FrameType.RESPONSE, 2)], { ok: true, payload: hex(msgpackCodec.encode('y'.repeat(1500))), metadata: [{ key: 'auth', string: 'k1' }, { key: 'bin', bytes: '01 02' }] }),
    x('reply-metadata-truncated', 'A RESPONSE whose block runs past the body: dropped, truncated, the call goes on', [server(frame(FrameType.RESPONSE, rawBlocks.truncated, 7, 0, Flag.HAS_METADATA))], [], { pending: true }, { truncated: 1 }),
    x('reply-metadata-malformed', 'A RESPONSE whose block has a key twice: dropped, malformed, the call goes on', [server(frame(FrameType.RESPONSE, withMetadataBlock(rawBlocks.duplicateKey, msgpackCodec.encode(3)), 7, 0, Flag.HAS_METADATA))], [], { pending: true }, { malformed: 1 }),
    x('reply-metadata-over-cap', 'A RESPONSE with an 8193-byte block, above the client cap of 8192: the call fails locally with RESOURCE_EXHAUSTED', [server(responseWithMetadata(msgpackCodec.encode(3), blockOfSize(8193)))], [], { ok: false, code: 'RESOURCE_EXHAUSTED', remote: false }),
  ];
}

// --------------------------------------------------------------------------
// codec-msgpack.json: the udprpc MessagePack profile (§5.7.1).

export function codecVectors(): CodecVector[] {
  const v = (name: string, description: string, direction: CodecVector['direction'], hexText: string | undefined, value?: unknown): CodecVector => ({
    name,
    description,
    direction,
    ...(hexText === undefined ? {} : { hex: hexText }),
    ...(value === undefined ? {} : { value }),
  });
  return [
    v('map', '{a: 1, b: 2}: fixmap, fixstr keys, positive fixints', 'both', '82 a1 61 01 a1 62 02', { a: 1, b: 2 }),
    v('nil', 'null', 'both', 'c0', null),
    v('booleans', '[true, false]', 'both', '92 c3 c2', [true, false]),
    v('negative-fixint', '-32', 'both', 'e0', -32),
    v('uint8', '200', 'both', 'cc c8', 200),
    v('int16', '-1000', 'both', 'd1 fc 18', -1000),
    v('uint32', '2^32 - 1', 'both', 'ce ff ff ff ff', 4294967295),
    v('int32', '-2^31', 'both', 'd2 80 00 00 00', -2147483648),
    v('float64-fraction', '1.5', 'both', 'cb 3f f8 00 00 00 00 00 00', 1.5),
    v('float64-large-integer', '2^32 is written as float 64 by the reference encoder', 'both', 'cb 41 f0 00 00 00 00 00 00', 4294967296),
    v('float64-nan', 'NaN', 'both', 'cb 7f f8 00 00 00 00 00 00', { $number: 'NaN' }),
    v('bigint-int64', '5n is written as int 64, and read back as the number 5', 'decode', 'd3 00 00 00 00 00 00 00 05', 5),
    v('bigint-beyond-2^53', '2n ** 53n + 1n: int 64, decoded as a bigint', 'both', 'd3 00 20 00 00 00 00 00 01', { $bigint: '9007199254740993' }),
    v('uint64-beyond-2^53', '2^53 + 1 as uint 64 (other encoders) decodes as a bigint', 'decode', 'cf 00 20 00 00 00 00 00 01', { $bigint: '9007199254740993' }),
    v('bigint-uint64', '2n ** 63n: beyond int 64, written as uint 64', 'both', 'cf 80 00 00 00 00 00 00 00', { $bigint: '9223372036854775808' }),
    v('bigint-negative', '-(2^63) as int 64', 'both', 'd3 80 00 00 00 00 00 00 00', { $bigint: '-9223372036854775808' }),
    v('uint64-small', 'uint 64 with a small value (as other encoders may write it) decodes as a number', 'decode', 'cf 00 00 00 00 00 00 00 05', 5),
    v('int64-2^53', 'int 64 of 2^53 is still a number (|v| ≤ 2^53)', 'decode', 'd3 00 20 00 00 00 00 00 00', 9007199254740992),
    v('float32', 'float 32 (other encoders) decodes as a number', 'decode', 'ca 3f c0 00 00', 1.5),
    v('str8', 'A 40-character string: str 8', 'both', `d9 28 ${'61 '.repeat(40).trim()}`, 'a'.repeat(40)),
    v('str-utf8', '"é€"', 'both', 'a5 c3 a9 e2 82 ac', 'é€'),
    v('bin', 'Uint8Array.of(0, 1, 2): bin 8 (issue 12: was msgpackr ext 0x74)', 'both', 'c4 03 00 01 02', { $bin: '000102' }),
    v('bin-empty', 'An empty Uint8Array', 'both', 'c4 00', { $bin: '' }),
    v('timestamp32', 'new Date(0)', 'both', 'd6 ff 00 00 00 00', { $date: 0 }),
    v('timestamp64', 'new Date(1): 1 ms', 'both', 'd7 ff 00 3d 09 00 00 00 00 00', { $date: 1 }),
    v('timestamp96', 'new Date(-1): before 1970', 'both', 'c7 0c ff 3b 8b 87 c0 ff ff ff ff ff ff ff ff', { $date: -1 }),
    v('map-integer-keys', '{1: "a", 2: "b"} from another implementation: a Map with number keys', 'both', '82 01 a1 61 02 a1 62', { $map: [[1, 'a'], [2, 'b']] }),
    v('map-mixed', 'One map with integer keys, one with string keys: each judged on its own', 'both', '92 81 01 02 81 a1 61 81 a1 62 c3', [{ $map: [[1, 2]] }, { a: { b: true } }]),
    v('map-bin-key', 'A map with a bin key', 'decode', '81 c4 01 07 c0', { $map: [[{ $bin: '07' }, null]] }),
    v('array-undefined', '[undefined, 1] is written as [nil, 1]', 'decode', '92 c0 01', [null, 1]),
    v('empty-payload', 'The empty payload is undefined', 'both', '', { $undefined: true }),
    v('map16', 'A map of 16 entries: map 16', 'both', `de 00 10 ${Array.from({ length: 16 }, (_, i) => `a1 ${(0x61 + i).toString(16)} ${i.toString(16).padStart(2, '0')}`).join(' ')}`, Object.fromEntries(Array.from({ length: 16 }, (_, i) => [String.fromCharCode(0x61 + i), i]))),
    v('refuse-msgpackr-typed-array', 'msgpackr ext 0x74 (a Uint8Array with moreTypes)', 'refuse-decode', 'c7 04 74 01 00 01 02'),
    v('refuse-msgpackr-undefined', 'fixext 1 type 0 (msgpackr undefined)', 'refuse-decode', 'd4 00 00'),
    v('refuse-msgpackr-record', 'msgpackr record definition ext 0x72', 'refuse-decode', 'd4 72 40'),
    v('refuse-c1', 'The reserved byte 0xC1', 'refuse-decode', 'c1'),
    v('refuse-trailing', 'Two values', 'refuse-decode', '01 02'),
    v('refuse-truncated', 'A str 8 of 3 bytes with 2 present', 'refuse-decode', 'd9 03 61 62'),
    v('refuse-timestamp-ns', 'Timestamp 64 with nanoseconds 10^9', 'refuse-decode', 'd7 ff ee 6b 28 00 00 00 00 00'),
    v('refuse-timestamp-size', 'Timestamp of 1 byte (msgpackr invalid date)', 'refuse-decode', 'd4 ff ff'),
    v('refuse-too-deep', '513 nested arrays', 'refuse-decode', `${'91 '.repeat(512)}90`),
  ];
}
