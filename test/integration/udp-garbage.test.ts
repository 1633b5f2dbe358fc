// Garbage at a real UDP server, from a raw node:dgram socket: every bad
// datagram is dropped, counted under its reason and reported as a 'drop'
// event, and the server keeps serving. Nothing a datagram contains can make
// it throw or close (protocol.md §2, §3.1, §11).
import { describe, expect, it } from 'vitest';
import { type DropReason, CodecId } from '@udprpc/core';
import {
  FrameType,
  Flag,
  HEADER_BYTES,
  decodeErrorBody,
  decodeFrame,
  encodeFrame,
  encodeMethodName,
  encodeRequestFrame,
  type FrameHeader,
} from '@udprpc/core/wire';
import { codeFromNumber } from '@udprpc/core/engine';
import { createRandom } from '@udprpc/testkit';
import { msgpackCodec } from 'udprpc';
import { calc } from '../helpers/calc-service.js';
import { useRawSockets } from '../helpers/raw-socket.js';
import { CODECS, loopbackHosts, useUdpRpc } from '../helpers/udp-rpc.js';
import { waitFor, withGuard } from '../helpers/wait.js';

const HOSTS = await loopbackHosts();

const header = (type: FrameHeader['type'], id = 1, flags = 0): FrameHeader => ({ type, flags, attempt: 0, session: 0xc0ffee, id });
const request = (id: number, method: string, payload: Uint8Array, deadlineMs = 5000, codecId: number = msgpackCodec.id): Uint8Array =>
  encodeRequestFrame(header(FrameType.REQUEST, id), deadlineMs, encodeMethodName(method), payload, 0xffffffff, 0, codecId);
const patched = (bytes: Uint8Array, offset: number, value: number): Uint8Array => {
  const copy = bytes.slice();
  copy[offset] = value;
  return copy;
};

/** Every kind of bad datagram, each with the one reason it must be dropped for. */
function garbage(): [string, Uint8Array, DropReason][] {
  const good = request(7, 'calc.add', new Uint8Array([0x80]));
  const random = createRandom(20240501);
  const randomBytes = (length: number): Uint8Array => {
    const bytes = Uint8Array.from({ length }, () => Math.floor(random() * 256));
    bytes[0] = 0x00; // never the magic's first byte, so the reason is known
    return bytes;
  };
  const cases: [string, Uint8Array, DropReason][] = [
    ['an empty datagram', new Uint8Array(0), 'truncated'],
    ['one byte', new Uint8Array([0x75]), 'truncated'],
    ['a header cut at 13 bytes', good.subarray(0, HEADER_BYTES - 1), 'truncated'],
    ['a REQUEST body shorter than 5 bytes', encodeFrame(header(FrameType.REQUEST, 8), new Uint8Array(3)), 'truncated'],
    ['a REQUEST whose method runs past the end', good.subarray(0, HEADER_BYTES + 7), 'truncated'],
    ['a FRAGMENT flag without its extension', patched(good.subarray(0, 20), 4, Flag.FRAGMENT), 'truncated'],
    ['wrong magic', patched(good, 0, 0x55), 'bad-magic'],
    ['wrong second magic byte', patched(good, 1, 0x00), 'bad-magic'],
    ['version 0', patched(good, 2, 0), 'unsupported-version'],
    ['version 2', patched(good, 2, 2), 'unsupported-version'],
    ['frame type 0', patched(good, 3, 0), 'unknown-type'],
    ['frame type 200', patched(good, 3, 200), 'unknown-type'],
    ['a RESPONSE sent to a server', encodeFrame(header(FrameType.RESPONSE), new Uint8Array(4)), 'unexpected-frame'],
    ['an ACK sent to a server', encodeFrame(header(FrameType.ACK), new Uint8Array(0)), 'unexpected-frame'],
    ['a PONG sent to a server', encodeFrame(header(FrameType.PONG), new Uint8Array(0)), 'unexpected-frame'],
    [
      'a method name that is not UTF-8',
      encodeRequestFrame(header(FrameType.REQUEST, 9), 5000, new Uint8Array([0xff, 0xfe, 0x2e]), new Uint8Array(0), undefined, undefined, CodecId.MSGPACK),
      'malformed',
    ],
    [
      'an inconsistent fragment extension',
      encodeFrame(header(FrameType.REQUEST, 10), new Uint8Array(5), { totalBytes: 100, index: 7, fragmentBytes: 10 }),
      'malformed',
    ],
    ['a REQUEST whose deadline already passed', request(11, 'calc.add', new Uint8Array(0), 0), 'expired'],
    ['60 KB of 0xAB', new Uint8Array(60_000).fill(0xab), 'bad-magic'],
    ['60 KB behind a valid header of an unknown type', patched(encodeFrame(header(FrameType.ACK), new Uint8Array(60_000)), 3, 77), 'unknown-type'],
  ];
  for (let i = 0; i < 12; i++) cases.push([`random bytes #${i}`, randomBytes(HEADER_BYTES + Math.floor(random() * 400)), 'bad-magic']);
  return cases;
}

for (const { host, skip } of HOSTS) {
  for (const [codecName, codec] of CODECS) {
    const title = `garbage datagrams at a server on ${host}, ${codecName} codec${skip === undefined ? '' : ` — SKIPPED: cannot bind ${host} here (${skip})`}`;
    describe.skipIf(skip !== undefined)(title, () => {
      const rpc = useUdpRpc();
      const raw = useRawSockets();

      it("drops each one under its reason, emits 'drop', and keeps serving", async () => {
        const { server, address, url, errors } = await rpc.serve({ host, codec });
        const drops: { reason: DropReason; port: number }[] = [];
        server.on('drop', (reason, from) => drops.push({ reason, port: from.port }));
        const sock = await raw.open(host);
        const cases = garbage();
        const expected: Partial<Record<DropReason, number>> = {};
        for (const [label, bytes, reason] of cases) {
          const before = drops.length;
          await sock.send(bytes, address);
          await waitFor(() => drops.length > before, `the server to drop ${label}`);
          expect({ label, reason: drops[before]?.reason }).toEqual({ label, reason });
          expected[reason] = (expected[reason] ?? 0) + 1;
        }
        expect(drops.every((d) => d.port === sock.address.port)).toBe(true);
        expect(server.stats().drops).toEqual(expected);
        expect(server.stats()).toMatchObject({ requests: 0, running: 0 });
        expect(errors).toEqual([]);
        expect(sock.received).toEqual([]); // garbage is never answered

        const stub = rpc.connect(url, { codec }).stub(calc);
        expect(await withGuard(stub.add({ a: 20, b: 22 }), 'a call after the garbage')).toBe(42);
      });

      it('answers PING with a PONG of the same size, and ignores a CANCEL for no call', async () => {
        const { server, address, url } = await rpc.serve({ host, codec });
        const sock = await raw.open(host);
        await sock.send(encodeFrame(header(FrameType.CANCEL, 99), new Uint8Array(0)), address);
        const ping = encodeFrame({ ...header(FrameType.PING, 1234), attempt: 3 }, new Uint8Array(0));
        await sock.send(ping, address);
        await sock.waitForReplies(1);
        const pong = decodeFrame(sock.received[0]!);
        expect(pong.ok && pong.value).toMatchObject({ type: FrameType.PONG, session: 0xc0ffee, id: 1234, attempt: 3 });
        expect(sock.received[0]!.length).toBe(ping.length);
        expect(server.stats()).toMatchObject({ drops: {}, cancelled: 0 });
        const stub = rpc.connect(url, { codec }).stub(calc);
        expect(await withGuard(stub.add({ a: 1, b: 1 }), 'a call after PING')).toBe(2);
      });

      it('answers a request whose payload the codec cannot decode with INVALID_ARGUMENT, without running the handler', async () => {
        const { address, probe } = await rpc.serve({ host, codec });
        const sock = await raw.open(host);
        // Padded to ~200 bytes so the ERROR reply is no larger than the request
        // (a server may limit what it sends to an address it has not validated).
        const undecodable =
          codec.name === 'json'
            ? new TextEncoder().encode(`{"a":${' '.repeat(200)}`) // ends inside an object
            : Uint8Array.from({ length: 202 }, (_, i) => (i === 0 ? 0xd9 : i === 1 ? 0xff : 0x61)); // str8 of 255 bytes, 200 present
        expect(codec.decode(undecodable).ok).toBe(false);
        await sock.send(request(42, 'calc.add', undecodable, 5000, codec.id), address);
        await sock.waitForReplies(1);
        const reply = decodeFrame(sock.received[0]!);
        if (!reply.ok) throw new Error(`undecodable reply: ${reply.error}`);
        expect(reply.value).toMatchObject({ type: FrameType.ERROR, session: 0xc0ffee, id: 42 });
        const body = decodeErrorBody(reply.value.body);
        expect(body.ok && codeFromNumber(body.value.code)).toBe('INVALID_ARGUMENT');
        expect(probe.adds).toBe(0);
      });
    });
  }
}

describe('reserved msgpack byte', () => {
  // Regression: msgpackr hands back an internal sentinel for 0xC1 ("never
  // used" in the spec), which used to reach handlers as their input.
  it('msgpackCodec rejects the reserved byte 0xC1 as an undecodable payload', () => {
    expect(msgpackCodec.decode(Uint8Array.of(0xc1)).ok).toBe(false);
    expect(msgpackCodec.decode(Uint8Array.of(0x92, 0x01, 0xc1)).ok).toBe(false);
  });
});
