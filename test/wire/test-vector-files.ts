// The contents of docs/test-vectors/*.json, as the generators make them.
import { CLIENT_SETUP, clientExchanges, codecVectors, frameVectors, SERVER_SETUP, serverExchanges } from './vectors.js';

export const VECTOR_DIR = new URL('../../docs/test-vectors/', import.meta.url);

/** File name → JSON text (2-space indented, trailing newline). */
export function vectorFiles(): Record<string, string> {
  const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;
  return {
    'frames.json': json({
      about: 'One frame each: its bytes and what the decoders of protocol.md §3–§5 make of them, or the drop reason of the first check that fails (§11). See README.md.',
      vectors: frameVectors(),
    }),
    'server.json': json({
      about: 'Datagrams from 192.0.2.10:5000 into a fresh server, with every datagram it sends back and every drop it counts. See README.md.',
      setup: SERVER_SETUP,
      exchanges: serverExchanges(),
    }),
    'client.json': json({
      about: 'A call by a fresh client, then datagrams for it: what it sends, how the call ends, and what it drops. See README.md.',
      setup: CLIENT_SETUP,
      exchanges: clientExchanges(),
    }),
    'codec-msgpack.json': json({
      about: 'Payloads of the udprpc MessagePack profile (protocol.md §5.7.1) and the values they carry. See README.md for the tagged value forms.',
      vectors: codecVectors(),
    }),
  };
}
