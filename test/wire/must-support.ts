// What the MUST tests (must.test.ts, must-restart.test.ts) share: the two
// documentation addresses they run between, the method they call, and a
// decoder that throws on anything that is not a frame.
import { type PeerAddress } from '@udprpc/core';
import { decodeFrame, encodeMethodName, type Frame } from '@udprpc/core/wire';

export const SERVER: PeerAddress = { address: '192.0.2.1', family: 'IPv4', port: 4000 };
export const CLIENT: PeerAddress = { address: '192.0.2.10', family: 'IPv4', port: 5000 };
export const METHOD = encodeMethodName('calc.add');

/** The frame `bytes` encode; throws if they are not one. */
export function decoded(bytes: Uint8Array): Frame {
  const f = decodeFrame(bytes);
  if (!f.ok) throw new Error(f.error);
  return f.value;
}
