// Runs from the installed tarballs with plain `node`: calls the server whose
// port is argv[2], loads every other public package, prints one JSON line.
import { createClient, defineContract, method, RpcError } from 'udprpc';
import { generateKey } from '@udprpc/auth-psk';
import { LatencyHistogram } from '@udprpc/cli';
import { msgpackCodec } from '@udprpc/codec-msgpack';
import { jsonCodec } from '@udprpc/core';
import { wireName } from '@udprpc/core/contract';
import { ClientEngine } from '@udprpc/core/engine';
import { FrameType } from '@udprpc/core/wire';
import { VirtualClock } from '@udprpc/testkit';
import { createUdpTransport } from '@udprpc/transport-udp';

const calc = defineContract('calc', { add: method(), div: method() });
const client = createClient({ url: `udp://127.0.0.1:${process.argv[2]}`, timeoutMs: 5000 });
const api = client.stub(calc);
const sum = await api.add({ a: 2, b: 3 });
const failure = await api.div({ a: 1, b: 0 }).then(
  () => 'no error',
  (e) => (RpcError.is(e) ? `${e.code}: ${e.message}` : String(e)),
);
const loaded = [generateKey().length, typeof LatencyHistogram, msgpackCodec.name, jsonCodec.name, new VirtualClock().now(), typeof createUdpTransport];
// The subpath exports of @udprpc/core load from dist too.
const subpaths = [FrameType.REQUEST, typeof ClientEngine, wireName(calc, 'add')];
console.log(JSON.stringify({ sum, failure, loaded, subpaths }));
await client.close();
