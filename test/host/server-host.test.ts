// The server's engine host (CONVENTIONS.md 15, issue 13): handlers run
// outside the engine's `receive`, their replies come back through the host,
// and the host re-arms the engine's timer exactly once per event it handles
// (a datagram, a handler's reply, a timer), from one place.
import { describe, expect, it, vi } from 'vitest';
import { CodecId, defineContract, jsonCodec, method, type DatagramHandler, type PeerAddress, type Transport } from '@udprpc/core';
import { encodeBatch, encodeMethodName, encodeRequestFrame, FrameType } from '@udprpc/core/wire';
import { TimerDriver } from '@udprpc/core/engine';
import { createServer, type Server } from '@udprpc/server';
import { VirtualClock } from '@udprpc/testkit';

const CLIENT: PeerAddress = Object.freeze({ address: '10.0.0.1', family: 'sim', port: 1111 });
const SERVER_ADDRESS: PeerAddress = Object.freeze({ address: '10.0.0.2', family: 'sim', port: 2222 });
const svc = defineContract('svc', { echo: method<number, number>(), slow: method<number, number>() });

/** A transport the test feeds by hand: `deliver` hands the server one datagram. */
class HandTransport implements Transport {
  readonly sent: Uint8Array[] = [];
  private onDatagram: DatagramHandler | undefined;
  listen(onDatagram: DatagramHandler): Promise<PeerAddress> {
    this.onDatagram = onDatagram;
    return Promise.resolve(SERVER_ADDRESS);
  }
  send(bytes: Uint8Array): void {
    this.sent.push(bytes);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  deliver(bytes: Uint8Array): void {
    this.onDatagram!(bytes, CLIENT);
  }
}

function request(id: number, name: string, input: number, deadlineMs = 5000): Uint8Array {
  const header = { type: FrameType.REQUEST, flags: 0, attempt: 0, session: 0x1234, id };
  return encodeRequestFrame(header, deadlineMs, encodeMethodName(name), jsonCodec.encode(input), undefined, 0, CodecId.JSON);
}

interface Rig {
  server: Server;
  transport: HandTransport;
  clock: VirtualClock;
  /** How deep inside the engine's receive() the code is now. */
  depth: () => number;
  /** The receive() depth each handler ran at. */
  handlerDepths: number[];
}

async function rig(): Promise<Rig> {
  const clock = new VirtualClock();
  const transport = new HandTransport();
  const handlerDepths: number[] = [];
  let depth = 0;
  const server = createServer({ transport, clock, codec: jsonCodec, coalesce: false, antiAmplification: false, introspection: false });
  server.implement(svc, {
    echo: (n) => {
      handlerDepths.push(depth);
      return n;
    },
    slow: (n, ctx) => {
      handlerDepths.push(depth);
      return new Promise<number>((resolve) => ctx.signal.addEventListener('abort', () => resolve(n)));
    },
  });
  // Count how deep inside the engine's receive() a handler runs (the re-entrancy counter).
  const engine = (server as unknown as { engine: { receive: (...args: unknown[]) => void } }).engine;
  const receive = engine.receive.bind(engine);
  engine.receive = (...args: unknown[]) => {
    depth++;
    try {
      receive(...args);
    } finally {
      depth--;
    }
  };
  await server.listen();
  return { server, transport, clock, depth: () => depth, handlerDepths };
}

describe('server engine host: handlers run outside receive', () => {
  it('a handler that replies synchronously runs after receive() returned, and its reply goes out', async () => {
    const r = await rig();
    r.transport.deliver(request(1, 'svc.echo', 7));
    expect(r.handlerDepths).toEqual([0]);
    expect(r.transport.sent.map((b) => b[3])).toEqual([FrameType.RESPONSE]);
    // Two calls in one BATCH datagram: both handlers run outside receive, in order.
    r.transport.deliver(encodeBatch([request(2, 'svc.echo', 1), request(3, 'svc.echo', 2)]));
    expect(r.handlerDepths).toEqual([0, 0, 0]);
    expect(r.transport.sent).toHaveLength(3);
    expect(r.server.stats()).toMatchObject({ requests: 3, responses: 3, running: 0 });
    await r.server.close();
  });
});

describe('server engine host: one update() per event', () => {
  it('re-arms the timer once per datagram, however many handlers answered inside it', async () => {
    const r = await rig();
    const update = vi.spyOn(TimerDriver.prototype, 'update');
    try {
      r.transport.deliver(request(1, 'svc.echo', 7));
      expect(update).toHaveBeenCalledTimes(1);
      r.transport.deliver(encodeBatch([request(2, 'svc.echo', 1), request(3, 'svc.echo', 2), request(4, 'svc.echo', 3)]));
      expect(update).toHaveBeenCalledTimes(2);
      // An async handler: the datagram is one event, its reply another.
      r.transport.deliver(request(5, 'svc.slow', 9, 100));
      expect(update).toHaveBeenCalledTimes(3);
      // Its deadline fires (one event: the timer), aborting it; its reply is the next.
      r.clock.advance(100);
      await Promise.resolve();
      await Promise.resolve();
      expect(r.server.stats()).toMatchObject({ deadlineAborts: 1, running: 0 });
      const afterAbort = update.mock.calls.length;
      expect(afterAbort).toBe(5);
    } finally {
      update.mockRestore();
      await r.server.close();
    }
  });
});

describe('one update() site', () => {
  it('in the sources of every package, the engine timer is re-armed only by the EngineHost (and by a bare TimerDriver after its own timer)', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const root = new URL('../../packages/', import.meta.url).pathname;
    const sites: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts')) {
          readFileSync(path, 'utf8')
            .split('\n')
            .forEach((line, i) => {
              if (/\.update\(\)/.test(line) && !line.trim().startsWith('*') && !line.trim().startsWith('//')) sites.push(`${path.slice(root.length)}:${i + 1}`);
            });
        }
      }
    };
    for (const pkg of readdirSync(root)) walk(join(root, pkg, 'src'));
    // Before: server.ts (3 sites), client.ts (3), routed-sender.ts, group-call.ts.
    expect(sites.map((s) => s.replace(/:\d+$/, ''))).toEqual(['core/src/timer/engine-driver.ts', 'core/src/timer/engine-host.ts']);
  });
});
