import { RpcError, type Clock, type Codec, type PeerAddress } from '@udprpc/core';
import { encodeMethodName } from '@udprpc/core/wire';
import { type CallOutcome, type ClientEngine, type MethodRecord, type MethodStatsTable, type TimerDriver } from '@udprpc/core/engine';
import { abortError, encodeInput, settleOutcome } from './codec-outcome.js';
import type { Endpoint } from './endpoint-set.js';
import type { ClientCallMessage } from './diagnostics.js';
import type { ClientRequest } from './interceptor.js';
import type { Router } from './router.js';

/** Carries a method's encoded wire name on a request, so the last step needs no lookup. */
export const wireKey = Symbol('udprpc.wire');
/** Carries a call's endpoint reservation on a request (spread copies share it). */
export const routeKey = Symbol('udprpc.route');
/** Carries the method's stats record on a request (spread copies share it). */
export const statsKey = Symbol('udprpc.stats');
/** Carries the call's `udprpc:client:call` message when traced, so its transmissions can be added up. */
export const traceKey = Symbol('udprpc.trace');

/** The endpoint chosen for a call's first attempt, counted as outstanding until used or given back. */
export interface Reservation {
  readonly endpoint: Endpoint;
  used: boolean;
}

type TaggedRequest = ClientRequest & {
  [wireKey]?: Uint8Array;
  [routeKey]?: Reservation;
  [statsKey]?: MethodRecord;
  [traceKey]?: ClientCallMessage | undefined;
};

/** Books an ended engine call: per-method stats, and the traced call's transmissions. */
function booked(stats: MethodStatsTable, req: TaggedRequest, outcome: CallOutcome, transmissions: number, latencyMs: number): void {
  const record = req[statsKey] ?? stats.of(`${req.service}.${req.method}`);
  record.record(outcome.ok ? undefined : outcome.error.code, latencyMs);
  const trace = req[traceKey];
  if (trace !== undefined) trace.attempts += transmissions;
}

/**
 * The innermost step of a client's interceptor onion: encodes the input,
 * hands the call to the engine — directly to `req.peer` for a single-peer
 * client, through the {@link Router} (balancing, failover, hedging) for a
 * multi-endpoint one — and decodes the outcome.
 */
export class RoutedSender {
  constructor(
    private readonly engine: ClientEngine,
    private readonly clock: Clock,
    private readonly codec: Codec,
    private readonly timer: TimerDriver,
    private readonly router: Router | undefined,
    private readonly stats: MethodStatsTable,
  ) {}

  /** Reserves the first attempt's endpoint; UNAVAILABLE when the client has none. */
  reserve(idempotent: boolean): Reservation {
    const endpoint = this.router?.reserve(idempotent);
    if (endpoint === undefined) throw new RpcError('UNAVAILABLE', 'the client has no endpoints');
    return { endpoint, used: false };
  }

  /** Releases a reservation no attempt used (an interceptor answered without calling `next`). */
  giveBack(reservation: Reservation): void {
    if (reservation.used) return;
    reservation.used = true;
    this.router?.unreserve(reservation.endpoint);
  }

  /** Where a notification goes: the balancer's choice (it is not counted: nothing waits for it). */
  notifyTarget(now: number): PeerAddress {
    const endpoint = this.router?.endpoints.pick(now, false);
    if (endpoint === undefined) throw new RpcError('UNAVAILABLE', 'the client has no endpoints');
    return endpoint.peer;
  }

  send(req: ClientRequest): Promise<unknown> {
    const tagged = req as TaggedRequest;
    const wire = tagged[wireKey] ?? encodeMethodName(`${req.service}.${req.method}`);
    const signal = req.signal;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const payload = encodeInput(this.codec, req.input);
    const router = this.router;
    if (router === undefined) return this.sendDirect(tagged, wire, payload);
    // A retry interceptor may call `next` again: later attempts get a fresh choice.
    const held = tagged[routeKey];
    const reservation = held !== undefined && !held.used ? held : this.reserve(req.idempotent);
    reservation.used = true;
    const startedAt = this.clock.now();
    return new Promise((resolve, reject) => {
      let onAbort: (() => void) | undefined;
      let settled = false;
      const call = router.run({ method: wire, payload, deadline: req.deadline, idempotent: req.idempotent }, reservation.endpoint, (outcome, transmissions) => {
        settled = true;
        booked(this.stats, tagged, outcome, transmissions, this.clock.now() - startedAt);
        if (onAbort !== undefined) signal!.removeEventListener('abort', onAbort);
        settleOutcome(this.codec, outcome, resolve, reject);
      });
      if (signal !== undefined && !settled) {
        onAbort = () => call.abort(abortError(signal));
        signal.addEventListener('abort', onAbort, { once: true });
      }
    });
  }

  private sendDirect(req: TaggedRequest, wire: Uint8Array, payload: Uint8Array): Promise<unknown> {
    const signal = req.signal;
    const startedAt = this.clock.now();
    return new Promise((resolve, reject) => {
      let onAbort: (() => void) | undefined;
      const settle = (outcome: CallOutcome, transmissions: number): void => {
        booked(this.stats, req, outcome, transmissions, this.clock.now() - startedAt);
        if (onAbort !== undefined) signal!.removeEventListener('abort', onAbort);
        settleOutcome(this.codec, outcome, resolve, reject);
      };
      const id = this.engine.call({ peer: req.peer, method: wire, payload, deadlineAt: req.deadline }, startedAt, settle);
      if (typeof id !== 'number') return reject(id);
      if (signal !== undefined) {
        onAbort = () => this.engine.cancel(id, this.clock.now(), abortError(signal));
        signal.addEventListener('abort', onAbort, { once: true });
      }
      this.timer.update();
    });
  }
}
