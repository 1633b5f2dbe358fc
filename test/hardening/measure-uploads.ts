// Issue 11.4 as an experiment: 8 clients × 2 concurrent uploads, each client
// on its own address, 30 s deadline, on the simulated network (1 ms links,
// virtual clock) with the real udprpc client and server. `scale` divides the
// upload size and the server's reassembly limits alike (1 = 16 MiB uploads
// against the default 33 MiB per peer and 129 MiB in all), so the ratio of
// demand to budget is the at every scale.
//
//   node --import tsx --conditions=@udprpc/source test/hardening/measure-uploads.ts [scale=8]
//
// Bounded: 16 calls, each with a 30 s deadline, run to settlement.
import { createClient, createServer, defineContract, method, RpcError } from 'udprpc';
import { SimNetwork, VirtualClock, createRandom, deriveSeed, settleAll } from '@udprpc/testkit';

const scale = Number(process.argv[2] ?? 8);
const MiB = 1024 * 1024;
const size = Math.floor((16 * MiB) / scale) - 200; // the request body adds method and codec framing
const contract = defineContract('up', { upload: method<{ data: Uint8Array }, number>() });

const clock = new VirtualClock();
const net = new SimNetwork({ clock, seed: deriveSeed(11, 'net'), defaults: { delayMs: 1 } });
const server = createServer({
  transport: net.endpoint('server'),
  clock,
  reassembly: { maxMessageBytes: Math.ceil((16 * MiB) / scale), maxPeerBytes: Math.ceil((33 * MiB) / scale), maxTotalBytes: Math.ceil((129 * MiB) / scale) },
});
let runs = 0;
server.implement(contract, {
  upload: ({ data }) => {
    runs++;
    return data.length;
  },
});
const address = await server.listen();
const clients = [];
for (let c = 0; c < 8; c++) {
  const client = createClient({ transport: net.endpoint(`client-${c}`), peer: address, clock, random: createRandom(deriveSeed(11, `c${c}`)) });
  await client.connect();
  clients.push(client);
}
const started = clock.now();
const calls = clients.flatMap((client) => [0, 1].map(() => client.stub(contract).upload({ data: new Uint8Array(size).fill(7) }, { timeoutMs: 30_000 })));
const results = await settleAll(clock, calls, { maxTimeMs: 120_000, maxSteps: 50_000_000 });
const ok = results.filter((r) => r.status === 'fulfilled').length;
const codes = results.flatMap((r) => (r.status === 'rejected' ? [RpcError.is(r.reason) ? r.reason.code : String(r.reason)] : []));
const pushbacks = clients.reduce((n, c) => n + c.stats().pushbacks, 0);
const s = server.stats();
console.log(
  `uploads of ${(size / MiB).toFixed(2)} MiB (scale 1/${scale}): ${ok} of 16 succeeded in ${((clock.now() - started) / 1000).toFixed(1)} s virtual; ` +
    `failed: ${JSON.stringify(codes)}; handler runs ${runs}; refusals ${s.reassemblyRefused}; pushbacks ${pushbacks}`,
);
await Promise.all(clients.map((c) => c.close()));
await server.close();
