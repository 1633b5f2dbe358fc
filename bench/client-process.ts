// One benchmark client in its own process: receives {type:'run', config}
// over IPC, runs the closed-loop load against the server's port and answers
// {type:'result'}; marks the measured window with {type:'mark'} messages so
// the orchestrator can read the server's CPU time over the same window.
import { randomFillSync } from 'node:crypto';
import { createBlastSender } from './baseline/blast.js';
import { createBaselineClient } from './baseline/client.js';
import { createUdprpcDriver } from './drivers/udprpc.js';
import { dropper, type Driver } from './lib/contract.js';
import { exitWithParent, sendToParent, usage, type IpcMessage } from './lib/ipc-child.js';
import { runLoad } from './lib/load.js';
import type { Impl, LoadPlan } from './lib/scenarios.js';
import { createCoapDriver } from './peers/coap.js';
import { createKrpcDriver } from './peers/krpc.js';

export interface ClientRunConfig {
  impl: Impl;
  port: number;
  op: 'add' | 'echo';
  payloadBytes: number;
  inFlight: number;
  lossRate: number;
  maxDatagramBytes?: number;
  coalesce?: boolean;
  schema?: 'zod';
  timeoutMs: number;
  baselineTimeoutMs: number;
  load: LoadPlan;
}

let driver: Driver | undefined;
exitWithParent(Number(process.argv[2]) || 60_000, async () => {
  await driver?.close();
});

async function makeDriver(c: ClientRunConfig): Promise<Driver> {
  const drop = dropper(c.lossRate);
  switch (c.impl) {
    case 'udprpc':
      return createUdprpcDriver({
        port: c.port,
        maxDatagramBytes: c.maxDatagramBytes,
        coalesce: c.coalesce ?? true,
        timeoutMs: c.timeoutMs,
        drop,
        lossy: c.lossRate > 0,
        schema: c.schema,
      });
    case 'raw-dgram':
      return createBaselineClient({ port: c.port, timeoutMs: c.baselineTimeoutMs, drop });
    case 'raw-blast':
      return createBlastSender(c.port, c.timeoutMs);
    case 'k-rpc-socket':
      return createKrpcDriver(c.port, c.baselineTimeoutMs);
    case 'coap':
      return createCoapDriver(c.port);
  }
}

async function run(c: ClientRunConfig): Promise<IpcMessage> {
  const d = (driver = await makeDriver(c));
  const payload = randomFillSync(Buffer.alloc(c.payloadBytes));
  // Idle: connected, holding the message it will send, nothing called yet.
  const idleRssBytes = usage().rssBytes;
  const call =
    c.op === 'add'
      ? async (seq: number): Promise<void> => {
          const a = seq & 0xffff;
          const sum = await d.add(a, 7);
          if (sum !== a + 7) throw new Error(`add returned ${String(sum)}, expected ${a + 7}`);
        }
      : async (): Promise<void> => {
          const back = await d.echo(payload);
          if (back.length !== payload.length) throw new Error(`echo returned ${back.length} bytes, expected ${payload.length}`);
        };
  const delivered = 'deliveredBytes' in d && typeof d.deliveredBytes === 'function' ? (d.deliveredBytes as () => number) : undefined;
  let deliveredAtStart = 0;
  let deliveredBytes: number | undefined;
  const load = await runLoad(call, {
    ...c.load,
    inFlight: c.inFlight,
    onWindow(edge) {
      sendToParent({ type: 'mark', edge });
      if (delivered === undefined) return;
      if (edge === 'start') deliveredAtStart = delivered();
      else deliveredBytes = delivered() - deliveredAtStart;
    },
  });
  return { type: 'result', load, usage: usage(), idleRssBytes, implStats: d.stats?.() ?? {}, ...(deliveredBytes === undefined ? {} : { deliveredBytes }) };
}

process.on('message', (m: IpcMessage) => {
  if (m.type !== 'run') return;
  run(m.config as ClientRunConfig).then(sendToParent, (e: unknown) =>
    sendToParent({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
  );
});
sendToParent({ type: 'ready' });
