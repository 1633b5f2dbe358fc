// The client's engine host (CONVENTIONS.md 15, issue 13): every engine call
// goes through one host, which re-arms the engine's timer once per event from
// one place; the engine's events reach listeners after the engine call that
// raised them, so a listener that starts a call does not re-enter the engine.
import { describe, expect, it, vi } from 'vitest';
import { defineContract, jsonCodec, method, type DatagramHandler, type PeerAddress, type Transport } from '@udprpc/core';
import { TimerDriver } from '@udprpc/core/engine';
import { createClient } from '@udprpc/client';
import { VirtualClock } from '@udprpc/testkit';

const SERVER: PeerAddress = Object.freeze({ address: '10.0.0.2', family: 'sim', port: 2222 });
const svc = defineContract('svc', { echo: method<number, number>() });

/** A transport into the void: records what the client sends. */
class SilentTransport implements Transport {
  readonly sent: Uint8Array[] = [];
  listen(_onDatagram: DatagramHandler): Promise<PeerAddress> {
    return Promise.resolve({ address: '10.0.0.1', family: 'sim', port: 1111 });
  }
  send(bytes: Uint8Array): void {
    this.sent.push(bytes);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe('client engine host', () => {
  it("a 'retry' listener that starts a call runs outside the engine's onTimer, and the timer event re-arms once", async () => {
    const clock = new VirtualClock();
    const transport = new SilentTransport();
    const client = createClient({ transport, clock, codec: jsonCodec, peer: SERVER, random: () => 0.5, coalesce: false, timeoutMs: 10_000 });
    const stub = client.stub(svc);
    await client.connect();
    // The re-entrancy counter: how deep inside the engine's onTimer() the code is.
    const engine = (client as unknown as { engine: { onTimer: (now: number) => void } }).engine;
    let depth = 0;
    const onTimer = engine.onTimer.bind(engine);
    engine.onTimer = (now) => {
      depth++;
      try {
        onTimer(now);
      } finally {
        depth--;
      }
    };
    const listenerDepths: number[] = [];
    const calls: Promise<unknown>[] = [];
    client.on('retry', () => {
      listenerDepths.push(depth);
      if (calls.length < 2) calls.push(stub.echo(2).catch(() => 'failed'));
    });
    calls.push(stub.echo(1).catch(() => 'failed'));
    expect(transport.sent).toHaveLength(1);
    const update = vi.spyOn(TimerDriver.prototype, 'update');
    try {
      // The first retransmission timer: one event.
      clock.advanceTo(clock.nextTimerAt()!);
      expect(listenerDepths).toEqual([0]);
      expect(transport.sent).toHaveLength(3); // the retransmission, then the listener's call
      expect(update).toHaveBeenCalledTimes(1);
    } finally {
      update.mockRestore();
      await client.close();
    }
    expect(await Promise.all(calls)).toEqual(['failed', 'failed']);
  });
});
