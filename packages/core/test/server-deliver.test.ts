// The server engine never runs a handler inside an engine call (CONVENTIONS.md
// 15, issue 13): the calls it starts and the aborts it decides are queued and
// handed to its hooks by deliver(), which its host calls after each engine call.
import { describe, expect, it } from 'vitest';
import { FrameType } from '../src/wire/frame-header.js';
import { encodeFrame } from '../src/wire/frame.js';
import { encodeRequestFrame } from '../src/wire/request-body.js';
import { encodeBatch } from '../src/wire/batch.js';
import type { IncomingCall } from '../src/server/server-engine-types.js';
import { ServerEngine } from '../src/server/server-engine.js';
import { CLIENT, METHOD } from './engine-pair.js';

const request = (id: number, deadlineMs = 5000): Uint8Array =>
  encodeRequestFrame({ type: FrameType.REQUEST, flags: 0, attempt: 0, session: 3, id }, deadlineMs, METHOD, new Uint8Array(2));
const cancel = (id: number): Uint8Array => encodeFrame({ type: FrameType.CANCEL, flags: 0, attempt: 0, session: 3, id }, new Uint8Array(0));

function rig(maxRunning = 10) {
  const log: string[] = [];
  let inEngine = 0;
  const engine: ServerEngine = new ServerEngine({
    send: (bytes) => log.push(`send ${bytes[3]}`),
    admission: { maxRunning, maxQueued: 10 },
    hooks: {
      onCall: (call: IncomingCall) => log.push(`call ${call.id}${inEngine > 0 ? ' INSIDE' : ''}`),
      onAbort: (call, reason) => log.push(`abort ${call.id} ${reason}${inEngine > 0 ? ' INSIDE' : ''}`),
    },
  });
  const run = (f: () => void): void => {
    inEngine++;
    try {
      f();
    } finally {
      inEngine--;
    }
  };
  return { engine, log, run };
}

describe('ServerEngine.deliver', () => {
  it('receive() starts no handler; deliver() hands the calls out in order, once', () => {
    const r = rig();
    r.run(() => r.engine.receive(encodeBatch([request(1), request(2)]), CLIENT, 0));
    expect(r.log).toEqual([]);
    expect(r.engine.stats()).toMatchObject({ requests: 2, running: 2 });
    r.engine.deliver();
    r.engine.deliver();
    expect(r.log).toEqual(['call 1', 'call 2']);
  });

  it('a handler answering inside deliver() frees its slot for the next queued call, handed out by the same deliver()', () => {
    const r = rig(1);
    const calls: IncomingCall[] = [];
    const engine: ServerEngine = new ServerEngine({
      send: () => {},
      admission: { maxRunning: 1, maxQueued: 10 },
      hooks: {
        onCall: (call) => {
          calls.push(call);
          engine.respondOk(call, new Uint8Array(1), 0);
        },
      },
    });
    engine.receive(encodeBatch([request(1), request(2), request(3)]), CLIENT, 0);
    expect(engine.stats()).toMatchObject({ running: 1, queued: 2 });
    engine.deliver();
    expect(calls.map((c) => c.id)).toEqual([1, 2, 3]);
    expect(engine.stats()).toMatchObject({ running: 0, queued: 0, responses: 3 });
    expect(r.log).toEqual([]);
  });

  it('a REQUEST and its CANCEL in one datagram: the handler never runs, no abort, and its slot is free', () => {
    const r = rig(1);
    r.run(() => r.engine.receive(encodeBatch([request(1), cancel(1), request(2)]), CLIENT, 0));
    expect(r.engine.stats()).toMatchObject({ cancelled: 1, running: 1, queued: 1 });
    r.engine.deliver();
    // Call 1 was skipped and its slot went to call 2, handed out by the same delivery.
    expect(r.log).toEqual(['call 2']);
    expect(r.engine.stats()).toMatchObject({ running: 1, queued: 0 });
  });

  it('deadline and cancel aborts come out of deliver(), after onTimer() and receive() returned', () => {
    const r = rig();
    r.run(() => r.engine.receive(encodeBatch([request(1, 100), request(2, 200)]), CLIENT, 0));
    r.engine.deliver();
    r.run(() => r.engine.onTimer(100));
    expect(r.log).toEqual(['call 1', 'call 2']);
    r.engine.deliver();
    r.run(() => r.engine.receive(cancel(2), CLIENT, 150));
    r.engine.deliver();
    expect(r.log).toEqual(['call 1', 'call 2', 'abort 1 deadline', 'abort 2 cancelled']);
    expect(r.engine.stats()).toMatchObject({ deadlineAborts: 1, cancelled: 1 });
  });
});
