// Test support for the core's component tests: a manual clock that counts
// the timers armed through it, and a client engine wired to a server engine
// by a lossless FIFO of datagrams. No I/O and no other package: the engines
// are exercised exactly as their hosts drive them (one call into an engine,
// then its timer driver's update(); handlers answered outside `receive`).
import { ClientEngine, type ClientEngineOptions, type CallOutcome } from '../src/client/client-engine.js';
import type { Clock, TimerHandle } from '../src/timer/clock.js';
import { FrameType } from '../src/wire/frame-header.js';
import { parseFrame, type Frame } from '../src/wire/frame.js';
import { encodeMethodName } from '../src/wire/request-body.js';
import { splitBatch } from '../src/wire/batch.js';
import { ServerEngine, type ServerEngineOptions, type IncomingCall } from '../src/server/server-engine.js';
import { joinChunks, type PeerAddress } from '../src/transport/transport.js';

export const CLIENT: PeerAddress = Object.freeze({ address: '10.0.0.1', family: 'sim', port: 1111 });
export const SERVER: PeerAddress = Object.freeze({ address: '10.0.0.2', family: 'sim', port: 2222 });
export const METHOD = encodeMethodName('m');

interface ManualTimer {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
}

/**
 * A clock whose time moves only when a timer fires. Counts every timer armed,
 * cancelled and fired, so a test can assert how many are pending at once.
 */
export class ManualClock implements Clock {
  private t = 0;
  private seq = 0;
  private readonly timers = new Set<ManualTimer>();
  armed = 0;
  cancelled = 0;
  fired = 0;
  /** Largest number of timers ever pending at once. */
  maxPending = 0;

  now(): number {
    return this.t;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const timer: ManualTimer = { at: this.t + Math.max(0, delayMs), seq: this.seq++, callback };
    this.timers.add(timer);
    this.armed++;
    this.maxPending = Math.max(this.maxPending, this.timers.size);
    return {
      cancel: () => {
        if (this.timers.delete(timer)) this.cancelled++;
      },
    };
  }

  get pending(): number {
    return this.timers.size;
  }

  /** When the earliest pending timer fires, if any. */
  nextAt(): number | undefined {
    let next: ManualTimer | undefined;
    for (const timer of this.timers) if (next === undefined || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq)) next = timer;
    return next?.at;
  }

  /** Moves time to `at` without firing anything (it must not pass a pending timer). */
  advanceTo(at: number): void {
    const next = this.nextAt();
    if (next !== undefined && next < at) throw new Error(`advanceTo(${at}) would skip a timer due at ${next}`);
    this.t = Math.max(this.t, at);
  }

  /** Fires the earliest pending timer; false when none is pending. */
  fireNext(): boolean {
    let next: ManualTimer | undefined;
    for (const timer of this.timers) if (next === undefined || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq)) next = timer;
    if (next === undefined) return false;
    this.timers.delete(next);
    this.t = Math.max(this.t, next.at);
    this.fired++;
    next.callback();
    return true;
  }
}

/** A uniform [0, 1) generator from a 32-bit seed (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every frame of a datagram: itself, or each frame of a BATCH. */
export function framesOf(bytes: Uint8Array): Frame[] {
  const f = parseFrame(bytes);
  if (typeof f === 'string') return [];
  if (f.type !== FrameType.BATCH) return [f];
  const parts = splitBatch(f.body);
  return parts.ok ? parts.value.flatMap(framesOf) : [];
}

/** A datagram on the wire, with the time it was sent. */
export interface Sent {
  readonly bytes: Uint8Array;
  readonly to: PeerAddress;
  readonly at: number;
}

export interface EnginePairOptions {
  maxDatagramBytes?: number;
  client?: Partial<ClientEngineOptions>;
  server?: Partial<Omit<ServerEngineOptions, 'send' | 'hooks'>>;
  /** The handler: its reply payload for a call (default: empty). */
  handler?: (call: IncomingCall) => Uint8Array;
  /**
   * Give both engines a `sendv`: chunked datagrams are recorded in
   * `clientChunks` / `serverChunks` as handed over, and joined on the link.
   */
  chunked?: boolean;
}

/**
 * A client engine and a server engine joined by a lossless, in-order link.
 * `pump(now)` delivers every datagram in flight (and those they cause), and
 * answers the calls the server started, until nothing moves.
 */
export class EnginePair {
  readonly client: ClientEngine;
  readonly server: ServerEngine;
  /** Datagrams each side sent, in order. */
  readonly clientSent: Sent[] = [];
  readonly serverSent: Sent[] = [];
  /** With `chunked`: the chunks of each datagram sent through `sendv`, as handed over. */
  readonly clientChunks: Array<readonly Uint8Array[]> = [];
  readonly serverChunks: Array<readonly Uint8Array[]> = [];
  /** Every call the server started, in order. */
  readonly started: IncomingCall[] = [];
  private readonly toServer: Uint8Array[] = [];
  private readonly toClient: Uint8Array[] = [];
  private readonly waiting: IncomingCall[] = [];
  private now = 0;

  constructor(options: EnginePairOptions = {}) {
    const maxDatagramBytes = options.maxDatagramBytes ?? 1200;
    const handler = options.handler ?? (() => new Uint8Array(0));
    this.handler = handler;
    this.client = new ClientEngine({
      random: seeded(1),
      maxDatagramBytes,
      ...options.client,
      send: (bytes, to) => {
        this.clientSent.push({ bytes, to, at: this.now });
        this.toServer.push(bytes);
      },
      ...(options.chunked === true
        ? {
            sendv: (chunks: readonly Uint8Array[], to: PeerAddress) => {
              this.clientChunks.push(chunks);
              const bytes = joinChunks(chunks);
              this.clientSent.push({ bytes, to, at: this.now });
              this.toServer.push(bytes);
            },
          }
        : {}),
    });
    this.server = new ServerEngine({
      maxDatagramBytes,
      ...options.server,
      send: (bytes, to) => {
        this.serverSent.push({ bytes, to, at: this.now });
        this.toClient.push(bytes);
      },
      ...(options.chunked === true
        ? {
            sendv: (chunks: readonly Uint8Array[], to: PeerAddress) => {
              this.serverChunks.push(chunks);
              const bytes = joinChunks(chunks);
              this.serverSent.push({ bytes, to, at: this.now });
              this.toClient.push(bytes);
            },
          }
        : {}),
      hooks: {
        onCall: (call) => {
          this.started.push(call);
          this.waiting.push(call);
        },
      },
    });
  }

  private readonly handler: (call: IncomingCall) => Uint8Array;

  /** Starts a call to the server; resolves the outcome into `outcomes`. */
  call(payload: Uint8Array, now: number, timeoutMs = 5000): { id: number; outcome: () => CallOutcome | undefined } {
    this.now = now;
    let outcome: CallOutcome | undefined;
    const id = this.client.call({ peer: SERVER, method: METHOD, payload, deadlineAt: now + timeoutMs }, now, (o) => {
      outcome = o;
    });
    if (typeof id !== 'number') throw id;
    return { id, outcome: () => outcome };
  }

  /** Delivers until quiet; returns the number of datagrams delivered. */
  pump(now: number, maxDatagrams = 100_000): number {
    this.now = now;
    let delivered = 0;
    for (;;) {
      const up = this.toServer.shift();
      if (up !== undefined) {
        this.server.receive(up, CLIENT, now);
        this.server.deliver();
        delivered++;
      } else {
        const down = this.toClient.shift();
        if (down !== undefined) {
          this.client.receive(down, SERVER, now);
          delivered++;
        } else {
          const call = this.waiting.shift();
          if (call === undefined) return delivered;
          this.server.respondOk(call, this.handler(call), now);
          this.server.deliver();
        }
      }
      if (delivered > maxDatagrams) throw new Error(`pump: more than ${maxDatagrams} datagrams; a loop?`);
    }
  }

  /** Frames the client sent (BATCHes unpacked). */
  clientFrames(): Frame[] {
    return this.clientSent.flatMap((s) => framesOf(s.bytes));
  }

  /** Frames the server sent (BATCHes unpacked). */
  serverFrames(): Frame[] {
    return this.serverSent.flatMap((s) => framesOf(s.bytes));
  }
}

/** `n` bytes that differ from position to position (so a misplaced fragment shows). */
export function patterned(n: number, salt = 0): Uint8Array {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = (i * 31 + (i >>> 8) * 7 + salt) & 0xff;
  return bytes;
}
