// stats() of both engines, every field (server/server-stats.ts,
// client/client-engine-stats.ts): all zero when new, and each one moved by
// exactly what it counts in a short exchange.
import { describe, expect, it } from 'vitest';
import { ClientEngine } from '../src/client/client-engine.js';
import { FrameType } from '../src/wire/frame-header.js';
import { encodeFrame } from '../src/wire/frame.js';
import { encodeMethodName, encodeRequestFrame } from '../src/wire/request-body.js';
import { ServerEngine, type IncomingCall } from '../src/server/server-engine.js';
import type { PeerAddress } from '../src/transport/transport.js';
import { delivering } from './delivering.js';
import { METHOD, SERVER } from './engine-pair.js';

const A: PeerAddress = Object.freeze({ address: '10.0.0.1', family: 'sim', port: 1111 });

const serverZero = {
  requests: 0,
  responses: 0,
  errors: 0,
  notifications: 0,
  duplicatesInProgress: 0,
  duplicatesReplayed: 0,
  duplicatesRefused: 0,
  restartRefused: 0,
  cancelled: 0,
  deadlineAborts: 0,
  handlerOverruns: 0,
  running: 0,
  queued: 0,
  rejected: 0,
  draining: false,
  goAways: 0,
  goingAwayRefused: 0,
  cacheEntries: 0,
  cacheBytes: 0,
  cacheEvictions: 0,
  reassemblyRefused: 0,
  reassemblyExpired: 0,
  reassemblyBytes: 0,
  amplificationBlocked: 0,
  replyLossResends: 0,
  replyProbes: 0,
  pmtuBlackHoles: 0,
  validations: 0,
  sources: 0,
  sessions: 0,
  stateBytes: 0,
  drops: {},
};

describe('ServerEngine.stats', () => {
  function server() {
    const calls: IncomingCall[] = [];
    const engine = delivering(new ServerEngine({ send: () => {}, hooks: { onCall: (c) => calls.push(c) }, startedAt: 0, startupGraceMs: 0, random: () => 0.5 }));
    return { engine, calls };
  }

  it('a new server: every counter 0, not draining, no drops', () => {
    expect(server().engine.stats()).toEqual(serverZero);
  });

  it('one call, a duplicate, a drop: each field moved by exactly that', () => {
    const { engine, calls } = server();
    const request = (attempt: number) => encodeRequestFrame({ type: FrameType.REQUEST, flags: 0, attempt, session: 5, id: 1 }, 5000, encodeMethodName('svc.m'), new Uint8Array(0), 0xffffffff, 0, 2);
    engine.receive(request(0), A, 0);
    engine.receive(request(1), A, 1);
    engine.receive(new Uint8Array(3), A, 2);
    expect(engine.stats()).toEqual({ ...serverZero, requests: 1, duplicatesInProgress: 1, running: 1, cacheEntries: 1, cacheBytes: 600, sources: 1, sessions: 1, stateBytes: 700, drops: { truncated: 1 } });
    engine.respondOk(calls[0]!, Uint8Array.of(1), 3);
    expect(engine.stats()).toMatchObject({ responses: 1, running: 0, cacheBytes: 600 + 15 });
  });
});

describe('ClientEngine.stats', () => {
  it('a new client: every counter 0, the budget full', () => {
    const engine = new ClientEngine({ send: () => {}, random: () => 0.5 });
    expect(engine.stats()).toEqual({
      calls: 0,
      responses: 0,
      errors: 0,
      timeouts: 0,
      cancelled: 0,
      retransmits: 0,
      lossRetransmits: 0,
      notifications: 0,
      pushbacks: 0,
      validations: 0,
      sessionsRenewed: 0,
      goAways: 0,
      window: { inFlight: 0, queued: 0 },
      requestLossResends: 0,
      requestProbes: 0,
      pmtuProbes: 0,
      pmtuProbesLost: 0,
      pmtuBlackHoles: 0,
      inFlight: 0,
      queued: 0,
      drops: {},
      retryBudget: { tokens: 100, deposited: 0, spent: 0, denied: 0 },
    });
  });

  it('calls in flight and queued, a retransmission, a drop', () => {
    const engine = new ClientEngine({ send: () => {}, random: () => 0.5, flow: { maxInFlightPerPeer: 1 } });
    engine.call({ peer: SERVER, method: METHOD, payload: new Uint8Array(0), deadlineAt: 5000 }, 0, () => {});
    engine.call({ peer: SERVER, method: METHOD, payload: new Uint8Array(0), deadlineAt: 5000 }, 0, () => {});
    engine.onTimer(200);
    engine.receive(encodeFrame({ type: FrameType.PING, flags: 0, attempt: 0, session: 1, id: 1 }, new Uint8Array(0)), SERVER, 201);
    expect(engine.stats()).toMatchObject({
      calls: 2,
      retransmits: 1,
      inFlight: 1,
      queued: 1,
      window: { inFlight: 1, queued: 1 },
      drops: { 'unexpected-frame': 1 },
      retryBudget: { tokens: 100 + 4 - 1, deposited: 4, spent: 1, denied: 0 }, // 2 per call; above burst, no refill
    });
  });
});
