// Reassembly at the boundaries (protocol.md §3.3, §7.4): messages of exactly
// k fragments, and one byte either side, put back together byte for byte —
// in the ReassemblyTable itself, and end to end through the engines in both
// directions (a fragmented request to the server, a fragmented reply to the
// client), with the smallest (1200) and largest (65,507) datagrams.
import { describe, expect, it } from 'vitest';
import { FrameType, HEADER_BYTES, MAX_UDP_PAYLOAD } from '../src/wire/frame-header.js';
import { FRAGMENT_EXT_BYTES } from '../src/wire/frame.js';
import { REQUEST_FIXED_BYTES } from '../src/wire/request-body.js';
import { fragmentBytesFor } from '../src/recovery/outgoing-transfer.js';
import { ReassemblyTable } from '../src/recovery/reassembly-table.js';
import { defaultReassemblyLimits } from '../src/recovery/reassembly-limits.js';
import { EnginePair, METHOD, patterned } from './engine-pair.js';

const DATAGRAMS = [1200, MAX_UDP_PAYLOAD] as const;
const KS = [1, 2, 3] as const;
const DELTAS = [-1, 0, 1] as const;

describe('fragment size', () => {
  it('is the datagram less the header and the fragment extension: 1176 at 1200 bytes, 65,483 at 65,507', () => {
    expect(HEADER_BYTES + FRAGMENT_EXT_BYTES).toBe(24);
    expect(fragmentBytesFor(1200)).toBe(1176);
    expect(fragmentBytesFor(MAX_UDP_PAYLOAD)).toBe(65_483);
  });
});

describe('ReassemblyTable at k × fragment size and ±1', () => {
  for (const fragmentBytes of [1, 7, 1176, 65_483]) {
    for (const k of [1, 2, 3, 4]) {
      for (const d of DELTAS) {
        const total = k * fragmentBytes + d;
        if (total < 1) continue;
        const count = Math.ceil(total / fragmentBytes);
        it(`${total} bytes in ${fragmentBytes}-byte fragments: ${count} fragments, complete on the last, in order and reversed`, () => {
          const message = patterned(total, k);
          for (const order of ['forward', 'reverse'] as const) {
            const table = new ReassemblyTable(defaultReassemblyLimits);
            const indexes = [...Array(count).keys()];
            if (order === 'reverse') indexes.reverse();
            indexes.forEach((index, n) => {
              const body = message.subarray(index * fragmentBytes, Math.min(total, (index + 1) * fragmentBytes));
              const r = table.offer('m', 'peer', FrameType.REQUEST, { totalBytes: total, index, fragmentBytes }, body, false, 0);
              if (n < count - 1) {
                expect(r.status, `${order} fragment ${index}`).toBe('added');
              } else {
                expect(r.status, `${order} last fragment ${index}`).toBe('complete');
                if (r.status === 'complete') expect(Buffer.from(r.body).equals(Buffer.from(message))).toBe(true);
              }
            });
            // Nothing is held once the message is complete.
            expect({ size: table.size, bytes: table.bytes }).toEqual({ size: 0, bytes: 0 });
          }
        });
      }
    }
  }
});

describe('end to end through both engines, both directions', () => {
  for (const datagram of DATAGRAMS) {
    const fragment = fragmentBytesFor(datagram);
    for (const k of KS) {
      for (const d of DELTAS) {
        const bodyBytes = k * fragment + d;
        const fragments = HEADER_BYTES + bodyBytes > datagram ? Math.ceil(bodyBytes / fragment) : 0;

        it(`request of ${bodyBytes} body bytes at ${datagram}-byte datagrams: ${fragments || 'no'} fragments, the handler gets every byte, once`, () => {
          // REQUEST body = fixed part + method + payload (protocol.md §5.1).
          const payload = patterned(bodyBytes - REQUEST_FIXED_BYTES - METHOD.length, 1);
          const seen: Uint8Array[] = [];
          const pair = new EnginePair({ maxDatagramBytes: datagram, handler: (c) => (seen.push(c.payload.slice()), new Uint8Array([42])) });
          const call = pair.call(payload, 0);
          pair.pump(0);
          expect(seen).toHaveLength(1);
          expect(Buffer.from(seen[0]!).equals(Buffer.from(payload))).toBe(true);
          expect(call.outcome()).toEqual({ ok: true, payload: new Uint8Array([42]) });
          const requests = pair.clientFrames().filter((f) => f.type === FrameType.REQUEST);
          expect(requests.filter((f) => f.fragment !== undefined)).toHaveLength(fragments);
          expect(requests).toHaveLength(Math.max(1, fragments));
          expect(pair.server.stats().reassemblyBytes).toBe(0);
        });

        it(`reply of ${bodyBytes} bytes at ${datagram}-byte datagrams: ${fragments || 'no'} fragments, the client gets every byte`, () => {
          const reply = patterned(bodyBytes, 3);
          const pair = new EnginePair({ maxDatagramBytes: datagram, handler: () => reply });
          const call = pair.call(new Uint8Array([1]), 0);
          pair.pump(0);
          const outcome = call.outcome();
          expect(outcome?.ok).toBe(true);
          if (outcome?.ok === true) expect(Buffer.from(outcome.payload).equals(Buffer.from(reply))).toBe(true);
          const responses = pair.serverFrames().filter((f) => f.type === FrameType.RESPONSE);
          expect(responses.filter((f) => f.fragment !== undefined)).toHaveLength(fragments);
          expect(responses).toHaveLength(Math.max(1, fragments));
          expect(pair.client.inFlight).toBe(0);
        });
      }
    }
  }
});
