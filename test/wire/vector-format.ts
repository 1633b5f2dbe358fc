// The JSON shapes of docs/test-vectors/*.json (described in its README), and
// the conversions between frames and their JSON description.
import { decodeErrorBody, decodeFragmentAck, decodeFrame, decodeRequestBody, FrameType, splitBatch, type Frame } from '@udprpc/core/wire';

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex').replace(/(..)(?!$)/g, '$1 ');
export const unhex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

export const typeNames: Record<number, string> = Object.fromEntries(Object.entries(FrameType).map(([name, n]) => [n, name]));

/** A frame as the vectors describe it: header fields, then the body's fields by type. */
export type DecodedFrame = Record<string, unknown>;

/**
 * Describes one frame with the real decoders: the header, the fragment
 * extension, and the body's fields for the types whose body has fields (a
 * fragment's body is a slice, shown as bytes). Returns the drop reason when a
 * decoder refuses it.
 */
export function describeFrame(bytes: Uint8Array): DecodedFrame | { error: string } {
  const f = decodeFrame(bytes);
  if (!f.ok) return { error: f.error };
  const frame = f.value;
  const out: DecodedFrame = {
    type: typeNames[frame.type],
    flags: frame.flags,
    attempt: frame.attempt,
    session: frame.session,
    id: frame.id,
    fragment: frame.fragment ?? null,
  };
  const body = describeBody(frame);
  if ('error' in body) return { ...out, error: body.error };
  return { ...out, body };
}

function describeBody(frame: Frame): Record<string, unknown> | { error: string } {
  if (frame.fragment !== undefined) return { slice: hex(frame.body) };
  switch (frame.type) {
    case FrameType.REQUEST: {
      const b = decodeRequestBody(frame.body);
      if (!b.ok) return { error: b.error };
      const { deadlineMs, inFlightSpan, incarnation, codec, method, payload } = b.value;
      return { deadlineMs, inFlightSpan, incarnation, codec, method, payload: hex(payload) };
    }
    case FrameType.RESPONSE:
      return { payload: hex(frame.body) };
    case FrameType.ERROR: {
      const b = decodeErrorBody(frame.body);
      if (!b.ok) return { error: b.error };
      return { code: b.value.code, retryAfterMs: b.value.retryAfterMs, message: b.value.message, details: hex(b.value.details) };
    }
    case FrameType.FRAGMENT_ACK: {
      const b = decodeFragmentAck(frame.body);
      if (!b.ok) return { error: b.error };
      return { ackedType: b.value.ackedType, cumulative: b.value.cumulative, ranges: b.value.ranges };
    }
    case FrameType.VALIDATE:
    case FrameType.VALIDATE_ECHO:
      return { token: hex(frame.body) };
    case FrameType.BATCH: {
      const entries = splitBatch(frame.body);
      if (!entries.ok) return { error: entries.error };
      return { entries: entries.value.map((e) => hex(e)) };
    }
    case FrameType.ACK:
      // The server's incarnation (§5.4); an ACK shorter than 4 bytes (an earlier revision) names none.
      if (frame.body.length < 4) return { incarnation: null, ignored: hex(frame.body) };
      return { incarnation: new DataView(frame.body.buffer, frame.body.byteOffset).getUint32(0), ignored: hex(frame.body.subarray(4)) };
    default:
      return { ignored: hex(frame.body) };
  }
}

/** One frame and what its decoders make of it (frames.json). */
export interface FrameVector {
  name: string;
  description: string;
  hex: string;
  /** The decoded fields, or `error`: the drop reason of the first check that fails (protocol.md §11). */
  decoded: DecodedFrame | { error: string };
}

/** Datagrams from one client into a fresh reference server, and what it sends and drops (server.json). */
export interface ServerExchange {
  name: string;
  description: string;
  /** Datagrams from 192.0.2.10:5000, in order, each handled at its `atMs`. */
  datagrams: { atMs: number; hex: string }[];
  /** Every datagram the server sends back, in order. */
  sent: string[];
  /** Drops counted, by reason. */
  drops: Record<string, number>;
  /** Handler runs. */
  runs: number;
}

/** A call started by a fresh reference client, then datagrams arriving for it (client.json). */
export interface ClientExchange {
  name: string;
  description: string;
  /** Datagrams arriving, with their source (`server` is 192.0.2.1:4000, `other` 192.0.2.99:4000). */
  datagrams: { from: 'server' | 'other'; hex: string }[];
  /** Every datagram the client sends, in order (the call's REQUEST first). */
  sent: string[];
  /** How the call ended: with a payload, with an error code, or not yet. */
  outcome: { ok: true; payload: string } | { ok: false; code: string; remote: boolean } | { pending: true };
  drops: Record<string, number>;
}

/**
 * A JavaScript value in JSON (codec-msgpack.json): plain JSON, or one of the
 * tagged forms `{"$bin": "hex"}`, `{"$date": ms}`, `{"$bigint": "digits"}`,
 * `{"$map": [[key, value], ...]}`, `{"$undefined": true}`, `{"$number": "NaN"}`.
 */
export type TaggedValue = unknown;

export function fromTagged(v: TaggedValue): unknown {
  if (Array.isArray(v)) return v.map(fromTagged);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if ('$bin' in o) return unhex(o.$bin as string);
  if ('$date' in o) return new Date(o.$date as number);
  if ('$bigint' in o) return BigInt(o.$bigint as string);
  if ('$map' in o) return new Map((o.$map as [unknown, unknown][]).map(([k, x]) => [fromTagged(k), fromTagged(x)]));
  if ('$undefined' in o) return undefined;
  if ('$number' in o) return Number(o.$number);
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, fromTagged(x)]));
}

/** One payload of the udprpc MessagePack profile (codec-msgpack.json). */
export interface CodecVector {
  name: string;
  description: string;
  /** `both`: encode(value) = hex and decode(hex) = value; `decode`: only decode(hex) = value (other encoders' choices); `refuse-decode`: hex does not decode. */
  direction: 'both' | 'decode' | 'refuse-decode';
  hex?: string;
  value?: TaggedValue;
}
