// One benchmark server in its own process. Started by run.ts with a JSON spec
// as argv[2]; reports {type:'ready', port} over IPC, answers 'cpu' and 'stats'
// requests, and exits when the orchestrator disconnects (or on its hard timeout).
import { startBlastReceiver } from './baseline/blast.js';
import { startBaselineServer } from './baseline/server.js';
import { startUdprpcServer } from './drivers/udprpc.js';
import type { ServerHandle } from './lib/contract.js';
import { exitWithParent, sendToParent, usage, type IpcMessage } from './lib/ipc-child.js';
import type { Impl } from './lib/scenarios.js';
import { startCoapServer } from './peers/coap.js';
import { startKrpcServer } from './peers/krpc.js';

export interface ServerSpec {
  impl: Impl;
  maxDatagramBytes?: number;
  coalesce?: boolean;
  schema?: 'zod';
  blastRecvBufferBytes?: number;
  hardTimeoutMs: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as ServerSpec;
let handle: ServerHandle | undefined;
exitWithParent(spec.hardTimeoutMs || 60_000, async () => {
  await handle?.close();
});

function start(s: ServerSpec): Promise<ServerHandle> {
  switch (s.impl) {
    case 'udprpc':
      return startUdprpcServer(s.maxDatagramBytes, s.coalesce, s.schema);
    case 'raw-dgram':
      return startBaselineServer();
    case 'raw-blast':
      return startBlastReceiver(s.blastRecvBufferBytes);
    case 'k-rpc-socket':
      return startKrpcServer();
    case 'coap':
      return startCoapServer();
  }
}

process.on('message', (m: IpcMessage) => {
  if (m.type === 'cpu') sendToParent({ type: 'cpu', usage: usage() });
  else if (m.type === 'stats') sendToParent({ type: 'stats', usage: usage(), stats: handle?.stats?.() ?? {} });
});

try {
  handle = await start(spec);
  sendToParent({ type: 'ready', port: handle.port, idleRssBytes: usage().rssBytes });
} catch (e) {
  sendToParent({ type: 'error', message: e instanceof Error ? e.message : String(e) });
}
