// Measures the three trust attacks of issue 11 (items 5, 6 and 11) on the
// simulated network, with the real udprpc client and server, and prints the
// figures quoted in docs/security.md ("Measured after the survival fixes").
// Deterministic (seeded); runs in a few seconds of real time:
//
//   npx tsx --conditions=@udprpc/source test/hardening/measure-trust.ts
import { type DatagramHandler, type Transport, CodecId } from '@udprpc/core';
import { encodeBatch, encodeMethodName, encodeRequestFrame, FrameType } from '@udprpc/core/wire';
import { SimNetwork, VirtualClock, createRandom, deriveSeed, settleAll } from '@udprpc/testkit';
import { createClient, createServer, defineContract, method, msgpackCodec, RpcError, type Server } from 'udprpc';
import { Executions, implementRel, rel, startSimRun } from '../properties/sim-harness.js';

const svc = defineContract('m', { big: method<{ bytes: number }, Uint8Array>() });
const BIG = encodeMethodName('m.big');

/** 11.5: bytes the server sends towards a formerly validated address, per byte a spoofer sends in its name. */
async function amplification(): Promise<void> {
  const clock = new VirtualClock();
  const net = new SimNetwork({ clock, seed: 5, defaults: { delayMs: 1 } });
  const serverEp = net.endpoint('server');
  let out = 0;
  let session = 0; // the genuine client's, as an observer of its traffic would learn it
  const counting: Transport = {
    maxDatagramBytes: serverEp.maxDatagramBytes,
    listen: (h, e) =>
      serverEp.listen((bytes, from, meta) => {
        if (session === 0 && bytes[3] === FrameType.REQUEST) session = new DataView(bytes.buffer, bytes.byteOffset).getUint32(6);
        h(bytes, from, meta);
      }, e),
    send: (bytes, to) => {
      if (to.address === 'client') out += bytes.length;
      serverEp.send(bytes, to);
    },
    close: () => serverEp.close(),
  };
  const server = createServer({ transport: counting, clock, startupGraceMs: 0 }).implement(svc, { big: ({ bytes }) => new Uint8Array(bytes) });
  const address = await server.listen();
  const ep = net.endpoint('client');
  const client = createClient({ transport: ep, peer: address, clock, random: createRandom(5) });
  await settleAll(clock, [client.stub(svc).big({ bytes: 20_000 })]);
  await clock.runFor(1000);
  const request = (session: number, id: number) =>
    encodeRequestFrame({ type: FrameType.REQUEST, flags: 0, attempt: 0, session, id }, 5000, BIG, msgpackCodec.encode({ bytes: 60_000 }), undefined, undefined, CodecId.MSGPACK);
  const attack = async (datagrams: Uint8Array[]): Promise<string> => {
    const before = out;
    let sent = 0;
    for (const d of datagrams) {
      sent += d.length;
      ep.send(d, address);
    }
    await clock.runFor(3000);
    return `${(out - before).toLocaleString('en')} B out for ${sent.toLocaleString('en')} B spoofed = ${((out - before) / sent).toFixed(2)}×`;
  };
  const ids = (n: number, from: number) => Array.from({ length: n }, (_, i) => from + i);
  console.log('11.5 another session, 20 requests:', await attack(ids(20, 1).map((id) => request(0x5eed, id))));
  console.log('11.5 another session, one BATCH of 40:', await attack([encodeBatch(ids(40, 100).map((id) => request(0x5eee, id)))]));
  await clock.runFor(30_000);
  console.log('11.5 the validated session after its 30 s lifetime, 20 requests:', await attack(ids(20, 0x7000_0000).map((id) => request(session, id))));
  await client.close();
  await server.close();
}

/** 11.6: 1500 calls of 300 ms, 32 at a time, while the server is killed and restarted 3 times. */
async function restarts(): Promise<void> {
  const clock = new VirtualClock();
  const net = new SimNetwork({ clock, seed: 6, defaults: { delayMs: 1 } });
  const ep = net.endpoint('server');
  let current: object | undefined;
  let handler: DatagramHandler | undefined;
  await ep.listen((b, f, m) => handler?.(b, f, m), () => {});
  const executions = new Executions();
  const servers: Server[] = [];
  const boot = async (): Promise<void> => {
    const me = {};
    current = me;
    const transport: Transport = {
      maxDatagramBytes: ep.maxDatagramBytes,
      listen: async (h) => ((handler = h), ep.address),
      send: (bytes, to) => void (current === me && ep.send(bytes, to)),
      close: async () => {},
    };
    const server = createServer({ transport, clock, random: createRandom(deriveSeed(6, `s${servers.length}`)) });
    implementRel(server, clock, executions);
    await server.listen();
    servers.push(server);
  };
  await boot();
  const client = createClient({ transport: net.endpoint('client'), peer: ep.address, clock, random: createRandom(6) });
  const stub = client.stub(rel);
  for (const at of [3000, 7000, 11_000]) {
    clock.setTimer(at, () => {
      current = undefined; // SIGKILL: nothing in or out
      handler = undefined;
      clock.setTimer(200, () => void boot()); // back 200 ms later
    });
  }
  let next = 1;
  const tally = { ok: 0, mayHaveRun: 0, other: 0 };
  const worker = async (): Promise<void> => {
    while (next <= 1500) {
      const tag = next++;
      try {
        await stub.add({ tag, a: tag, b: 1, delayMs: 300 });
        tally.ok++;
      } catch (e) {
        if (RpcError.is(e) && e.mayHaveRun) tally.mayHaveRun++;
        else tally.other++;
      }
    }
  };
  await settleAll(clock, Array.from({ length: 32 }, worker), { maxTimeMs: 600_000 });
  await clock.runFor(10_000);
  const twice = [...executions.count.values()].filter((n) => n > 1).length;
  const never = Array.from({ length: 1500 }, (_, i) => executions.of(i + 1)).filter((n) => n === 0).length;
  console.log(`11.6 of 1500 calls: ran twice ${twice}; succeeded ${tally.ok}; failed ABORTED mayHaveRun ${tally.mayHaveRun} (of which never ran: ${never}); other errors ${tally.other}`);
  await client.close();
}

/** 11.11: 2 % of the datagrams to the server get one bit flipped (after the UDP checksum, as on a broken relay). */
async function corruption(seed: number): Promise<{ failed: number; stuck: boolean; renewed: number; stale: number }> {
  const run = await startSimRun({ seed, up: { delayMs: 1, corrupt: 0.02 }, down: { delayMs: 1 } });
  const { clock, stub } = run;
  const failed: number[] = [];
  for (let round = 0; round < 250; round++) {
    const tags = [1, 2, 3, 4].map((k) => 4 * round + k);
    const results = await settleAll(clock, tags.map((tag) => stub.add({ tag, a: 1, b: 1, delayMs: 0 }, { timeoutMs: 2000 })), { maxTimeMs: 10_000 });
    results.forEach((r, i) => r.status === 'rejected' && failed.push(tags[i]!));
  }
  const renewed = run.client.stats().sessionsRenewed ?? 0;
  const stale = run.server.stats().drops['duplicate'] ?? 0;
  await run.client.close();
  await run.server.close();
  // Stopped for good: each of the last 100 calls failed.
  return { failed: failed.length, stuck: failed.filter((t) => t > 900).length === 100, renewed, stale };
}

await amplification();
await restarts();
const runs = [];
for (let seed = 1; seed <= 30; seed++) runs.push(await corruption(seed));
console.log(
  `11.11 30 runs x 1000 calls at 2 % corruption towards the server: ${runs.reduce((n, r) => n + r.failed, 0)} calls failed; ` +
    `runs in which the client stopped for good (its last 100 calls all failed): ${runs.filter((r) => r.stuck).length}, ` +
    `of them with its requests dropped as stale: ${runs.filter((r) => r.stuck && r.stale > 50).length}; ` +
    `requests dropped as stale: ${runs.reduce((n, r) => n + r.stale, 0)}; sessions renewed: ${runs.reduce((n, r) => n + r.renewed, 0)}`,
);
