// Shared by the PSK transport tests: a scripted inner transport (synchronous,
// so every drop is observable at once), a listening harness, and frames.
import { type DatagramHandler, type DatagramMeta, type PeerAddress, type Transport, CodecId } from '@udprpc/core';
import { encodeFrame, encodeMethodName, encodeRequestFrame, FrameType, type FrameHeader } from '@udprpc/core/wire';
import { createPskTransport, generateKey, type PskDropReason, type PskTransportOptions } from '@udprpc/auth-psk';

export const K1 = generateKey();
export const K2 = generateKey();
export const SERVER: PeerAddress = { address: '10.0.0.1', family: 'IPv4', port: 4000 };
export const CLIENT: PeerAddress = { address: '10.0.0.2', family: 'IPv4', port: 5000 };
export const OTHER: PeerAddress = { address: '10.0.0.3', family: 'IPv4', port: 6000 };

export interface Delivered {
  readonly bytes: Uint8Array;
  readonly from: PeerAddress;
  readonly meta: DatagramMeta | undefined;
}

/** An inner transport driven by the test: `inject` hands it a datagram synchronously. */
export function scriptedInner(maxDatagramBytes?: number) {
  let handler: DatagramHandler | undefined;
  const sent: { bytes: Uint8Array; to: PeerAddress }[] = [];
  const transport: Transport = {
    listen: (h) => {
      handler = h;
      return Promise.resolve(SERVER);
    },
    send: (bytes, to) => void sent.push({ bytes: bytes.slice(), to }),
    close: () => Promise.resolve(),
    ...(maxDatagramBytes === undefined ? {} : { maxDatagramBytes }),
  };
  return { transport, sent, inject: (bytes: Uint8Array, from: PeerAddress) => handler?.(bytes, from) };
}

/** A listening PSK transport over a scripted inner one, recording what it delivers, drops and reports. */
export async function harness(options: Partial<PskTransportOptions> = {}) {
  const inner = scriptedInner();
  const drops: [PskDropReason, PeerAddress][] = [];
  const delivered: Delivered[] = [];
  const errors: Error[] = [];
  const psk = createPskTransport(inner.transport, {
    keys: { k1: K1 },
    sendKeyId: 'k1',
    onDrop: (reason, from) => drops.push([reason, from]),
    ...options,
  });
  await psk.listen(
    (bytes, from, meta) => delivered.push({ bytes: bytes.slice(), from, meta }),
    (e) => errors.push(e),
  );
  return { psk, inner, drops, delivered, errors };
}

/** A sender sealing with its own transport (so with its own prefix and counter). */
export function sealer(keys: Record<string, Uint8Array>, sendKeyId: string, algorithm?: PskTransportOptions['algorithm']) {
  const inner = scriptedInner();
  const psk = createPskTransport(inner.transport, { keys, sendKeyId, ...(algorithm === undefined ? {} : { algorithm }) });
  return (bytes: Uint8Array): Uint8Array => {
    psk.send(bytes, SERVER);
    return inner.sent.at(-1)!.bytes;
  };
}

const header = (type: FrameHeader['type'], session: number, id = 1): FrameHeader => ({ type, flags: 0, attempt: 0, session, id });
export const request = (session: number, id = 1): Uint8Array =>
  encodeRequestFrame(header(FrameType.REQUEST, session, id), 5000, encodeMethodName('calc.add'), new Uint8Array([1, 2, 3]), undefined, undefined, CodecId.MSGPACK);
export const response = (session: number, id = 1): Uint8Array => encodeFrame(header(FrameType.RESPONSE, session, id), new Uint8Array([9]));

