// A message sent in fragments is a head (the REQUEST's fixed fields and
// method name) and the codec's payload, never joined (issue 14, large-message
// memory): each fragment is cut from one of them, and only the fragment that
// straddles both is copied. The datagrams are the same bytes as before.
import { describe, expect, it } from 'vitest';
import { MessageBody } from '../src/recovery/message-body.js';
import { fragmentBytesFor, OutgoingTransfer } from '../src/recovery/outgoing-transfer.js';
import { FrameType } from '../src/wire/frame-header.js';
import { parseFrame } from '../src/wire/frame.js';
import { encodeRequestBody, REQUEST_FIXED_BYTES } from '../src/wire/request-body.js';
import { RequestSender } from '../src/client/request-transfer.js';
import { EnginePair, METHOD, SERVER } from './engine-pair.js';

const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

describe('MessageBody.range', () => {
  const head = bytes(10, 1);
  const tail = bytes(25, 2);
  const body = new MessageBody(head, tail);
  const joined = new Uint8Array([...head, ...tail]);

  it('every range equals the same range of the joined bytes', () => {
    expect(body.length).toBe(35);
    for (let start = 0; start <= 35; start++) {
      for (let end = start; end <= 35; end++) expect([...body.range(start, end)], `${start}..${end}`).toEqual([...joined.subarray(start, end)]);
    }
  });

  it('a range inside the tail or the head is a view (no copy); only one straddling both is a new buffer', () => {
    expect(body.range(10, 35).buffer).toBe(tail.buffer);
    expect(body.range(12, 20).byteOffset).toBe(tail.byteOffset + 2);
    expect(body.range(0, 10).buffer).toBe(head.buffer);
    const straddling = body.range(8, 12);
    expect(straddling.buffer === head.buffer || straddling.buffer === tail.buffer).toBe(false);
    expect(straddling.byteLength).toBe(4);
  });

  it('OutgoingTransfer frames a MessageBody exactly as it framed the joined bytes, at k × F and ±1', () => {
    const F = 16;
    for (const total of [2 * F - 1, 2 * F, 2 * F + 1, 3 * F]) {
      const h = bytes(5, 3);
      const t = bytes(total - 5, 4);
      const noRtt = { srttMs: undefined }; // framing reads no RTT
      const split = new OutgoingTransfer(FrameType.REQUEST, new MessageBody(h, t), F, 64, noRtt);
      const whole = new OutgoingTransfer(FrameType.REQUEST, new Uint8Array([...h, ...t]), F, 64, noRtt);
      expect(split.count).toBe(Math.ceil(total / F));
      const header = { type: FrameType.REQUEST, flags: 0, attempt: 0, session: 1, id: 9 };
      for (let i = 0; i < split.count; i++) expect([...split.frame(header, i, false)], `${total} #${i}`).toEqual([...whole.frame(header, i, false)]);
    }
  });
});

describe('a fragmented request on the wire', () => {
  it('its fragments carry the fixed fields, method name and payload, in order, as the joined body did', () => {
    let received: Buffer | undefined;
    const pair = new EnginePair({
      maxDatagramBytes: 1200,
      handler: (call) => {
        received = Buffer.from(call.payload);
        return new Uint8Array(0);
      },
    });
    const payload = bytes(10_000, 5);
    pair.call(payload, 0, 5000);
    pair.pump(0);
    const F = fragmentBytesFor(1200); // 1176
    const total = REQUEST_FIXED_BYTES + METHOD.length + payload.length;
    const got = new Uint8Array(total);
    const indexes = new Set<number>();
    for (const s of pair.clientSent) {
      const f = parseFrame(s.bytes);
      if (typeof f === 'string' || f.type !== FrameType.REQUEST || f.fragment === undefined) continue;
      expect(f.fragment.fragmentBytes).toBe(F);
      expect(f.fragment.totalBytes).toBe(total);
      got.set(f.body, f.fragment.index * F);
      indexes.add(f.fragment.index);
    }
    expect(indexes.size).toBe(Math.ceil(total / F));
    // Remaining deadline 5000 ms at offset 0; the span (offset 4) and codec id (12) are the engine's own.
    const expected = encodeRequestBody(5000, METHOD, payload, new DataView(got.buffer).getUint32(4), 0, got[12]!);
    expect(Buffer.from(got).equals(Buffer.from(expected))).toBe(true);
    expect(pair.started).toHaveLength(1);
    expect(received?.equals(payload)).toBe(true);
  });
});

describe('RequestSender.encode', () => {
  it('keeps the payload as the body’s tail, not a copy: a 1 MiB argument is held once, not twice', () => {
    const sender = new RequestSender(() => {}, 1200, 64 * 1024 * 1024, 1);
    const payload = new Uint8Array(1024 * 1024);
    const body = sender.encode({ peer: SERVER, method: METHOD, payload, deadlineAt: 5000 }, 0, 0, 0, false);
    if (body instanceof Error) throw body;
    expect(body.tail === payload).toBe(true);
    expect(body.head.byteLength).toBe(REQUEST_FIXED_BYTES + METHOD.length);
    expect(body.length).toBe(REQUEST_FIXED_BYTES + METHOD.length + payload.length);
  });
});
