// A connected socket (UDP connect(2)): the single-server client's fast path.
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerAddress } from '@udprpc/core';
import { createUdpTransport, type UdpTransport } from '@udprpc/transport-udp';

const open: UdpTransport[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close();
});

function transport(options: Parameters<typeof createUdpTransport>[0] = {}): UdpTransport {
  const t = createUdpTransport({ host: '127.0.0.1', port: 0, ...options });
  open.push(t);
  return t;
}

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
}

describe('connect option', () => {
  it('sends to and receives from its peer, filters everyone else, refuses other destinations', async () => {
    const server = transport();
    const stranger = transport();
    const atServer: Uint8Array[] = [];
    const serverAddress = await server.listen((bytes, from) => {
      atServer.push(bytes);
      server.send(Uint8Array.of(9), from);
    }, () => {});
    const strangerAddress = await stranger.listen(() => {}, () => {});

    const client = transport({ connect: { address: '127.0.0.1', port: serverAddress.port } });
    const got: Array<{ bytes: Uint8Array; from: PeerAddress }> = [];
    const errors: Error[] = [];
    await client.listen((bytes, from) => got.push({ bytes, from }), (e) => errors.push(e));

    client.send(Uint8Array.of(1), serverAddress);
    await waitFor(() => got.length === 1);
    expect(atServer.map((b) => [...b])).toEqual([[1]]);
    expect(got.map((g) => [...g.bytes])).toEqual([[9]]);
    expect(got[0]!.from.port).toBe(serverAddress.port);

    // A datagram from another address never reaches a connected socket.
    stranger.send(Uint8Array.of(7), client.localAddress!);
    // Sending anywhere else is refused, not thrown.
    client.send(Uint8Array.of(2), strangerAddress);
    client.send(Uint8Array.of(3), serverAddress);
    await waitFor(() => got.length === 2);
    expect(got.map((g) => [...g.bytes])).toEqual([[9], [9]]);
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['INVALID_ARGUMENT']);
    expect(atServer.map((b) => [...b])).toEqual([[1], [3]]);
  });
});
