// Shared set-up for the reliability properties: the REAL `udprpc` client and
// server (createClient/createServer) on a seeded SimNetwork and a VirtualClock,
// with handlers that count their executions per logical call (a unique `tag`
// in every input) and that may wait on virtual timers.
import { decodeFrame, FrameType, splitBatch, type Frame } from '@udprpc/core/wire';
import {
  createClient,
  createServer,
  defineContract,
  method,
  RpcError,
  type PeerAddress,
  type Server,
  type Transport,
  type UdpClientOptions,
  type UdpServerOptions,
} from 'udprpc';
import {
  SimNetwork,
  VirtualClock,
  createRandom,
  deriveSeed,
  type LinkConditions,
  type SimNetworkEvent,
  type SimTransport,
  sleep,
} from '@udprpc/testkit';

/** The service every property calls. `echo` is idempotent; `add`, `note` and `blob` are at-most-once. */
export const rel = defineContract('rel', {
  add: method<{ tag: number; a: number; b: number; delayMs: number }, { tag: number; sum: number }>(),
  echo: method<{ tag: number; delayMs: number }, number>({ idempotent: true }),
  note: method<{ tag: number }, void>(),
  blob: method<{ tag: number; data: Uint8Array }, { tag: number; data: Uint8Array }>(),
});

/** Per-tag bookkeeping of handler runs. */
export class Executions {
  readonly count = new Map<number, number>();
  private readonly live = new Map<number, number>();
  /** Tags that ever ran twice at the same time. */
  readonly overlapping = new Set<number>();
  /** Tags whose handler saw its ctx.signal abort, with the reason's code. */
  readonly aborted = new Map<number, string>();

  /** The message id each tag's call had (from ctx.callId, `…|session|id`). */
  readonly idOf = new Map<number, number>();

  begin(tag: number, callId?: string): void {
    if (callId !== undefined) this.idOf.set(tag, Number(callId.slice(callId.lastIndexOf('|') + 1)));
    this.count.set(tag, (this.count.get(tag) ?? 0) + 1);
    const live = (this.live.get(tag) ?? 0) + 1;
    this.live.set(tag, live);
    if (live > 1) this.overlapping.add(tag);
  }

  end(tag: number): void {
    this.live.set(tag, (this.live.get(tag) ?? 1) - 1);
  }

  of(tag: number): number {
    return this.count.get(tag) ?? 0;
  }
}

/** Decides, for each datagram a tapped endpoint sends, whether it goes out (`frame` is its first frame). */
export type SendFilter = (frame: Frame | undefined, bytes: Uint8Array, to: PeerAddress) => boolean;

/** The frames in one datagram: itself, or each frame of a BATCH (protocol.md §3.4). */
function framesOf(bytes: Uint8Array): Array<{ frame: Frame; bytes: Uint8Array }> {
  const decoded = decodeFrame(bytes);
  if (!decoded.ok) return [];
  if (decoded.value.type !== FrameType.BATCH) return [{ frame: decoded.value, bytes }];
  const parts = splitBatch(decoded.value.body);
  if (!parts.ok) return [];
  return parts.value.flatMap((part) => framesOf(part));
}

/**
 * Wraps a transport: every frame sent through it is decoded and logged (BATCH
 * datagrams unpacked), and a datagram is dropped before the network sees it
 * when `filter` says so. Deterministic drops of exactly what a scenario needs
 * gone. With coalescing, frames leave at the end of the job (a microtask),
 * not inside the call that produced them.
 */
export class Tap<T extends Transport = SimTransport> implements Transport {
  readonly sent: Frame[] = [];
  /** The bytes of each entry of `sent`, copied. */
  readonly sentBytes: Uint8Array[] = [];
  filter: SendFilter = () => true;
  dropped = 0;

  constructor(readonly inner: T) {}

  get maxDatagramBytes(): number {
    return this.inner.maxDatagramBytes ?? 65_507;
  }

  listen(...args: Parameters<Transport['listen']>): ReturnType<Transport['listen']> {
    return this.inner.listen(...args);
  }

  send(bytes: Uint8Array, to: PeerAddress): void {
    const frames = framesOf(bytes);
    for (const f of frames) {
      this.sent.push(f.frame);
      this.sentBytes.push(f.bytes.slice());
    }
    if (!frames.every((f) => this.filter(f.frame, f.bytes, to))) {
      this.dropped++;
      return;
    }
    this.inner.send(bytes, to);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Frames of `type` sent so far (optionally only those for message `id`). */
  count(type: number, id?: number): number {
    return this.sent.filter((f) => f.type === type && (id === undefined || f.id === id)).length;
  }
}

/** Serves {@link rel} on `server`, counting runs in `executions`; handlers wait on `clock`. */
export function implementRel(server: Server, clock: VirtualClock, executions: Executions): void {
  server.implement(rel, {
    add: ({ tag, a, b, delayMs }, ctx) => {
      executions.begin(tag, ctx.callId);
      if (delayMs === 0) {
        executions.end(tag);
        return { tag, sum: a + b }; // synchronous handler path
      }
      return sleep(clock, delayMs, ctx.signal).then(
        () => {
          executions.end(tag);
          return { tag, sum: a + b };
        },
        (reason: unknown) => {
          executions.end(tag);
          executions.aborted.set(tag, RpcError.is(reason) ? reason.code : String(reason));
          throw reason;
        },
      );
    },
    echo: async ({ tag, delayMs }, ctx) => {
      executions.begin(tag, ctx.callId);
      try {
        if (delayMs > 0) await sleep(clock, delayMs, ctx.signal);
        return tag;
      } finally {
        executions.end(tag);
      }
    },
    note: ({ tag }) => {
      executions.begin(tag);
      executions.end(tag);
    },
    blob: ({ tag, data }) => {
      executions.begin(tag);
      executions.end(tag);
      return { tag, data };
    },
  });
}

export interface SimRunOptions {
  seed: number;
  up?: LinkConditions;
  down?: LinkConditions;
  server?: Omit<UdpServerOptions, 'transport' | 'clock'>;
  client?: Omit<UdpClientOptions, 'transport' | 'peer' | 'clock' | 'random' | 'url'>;
  /** Every delivery and drop of the network (to trace a failing run). */
  onEvent?: (event: SimNetworkEvent) => void;
}

/** Starts a server and a client over a fresh simulated network. */
export async function startSimRun(options: SimRunOptions) {
  const { seed } = options;
  const clock = new VirtualClock();
  const net = new SimNetwork({ clock, seed: deriveSeed(seed, 'net'), ...(options.onEvent ? { onEvent: options.onEvent } : {}) });
  const serverEp = net.endpoint('server');
  const clientEp = net.endpoint('client');
  if (options.up) net.setLink(clientEp, serverEp, options.up);
  if (options.down) net.setLink(serverEp, clientEp, options.down);
  const serverTap = new Tap(serverEp);
  const clientTap = new Tap(clientEp);
  const executions = new Executions();
  const serverErrors: Error[] = [];

  // The first server ever at its simulated address: no start-up grace (protocol.md §6.3).
  const server = createServer({ startupGraceMs: 0, ...options.server, transport: serverTap, clock });
  server.on('error', (e) => serverErrors.push(e));
  implementRel(server, clock, executions);
  await server.listen();

  const client = createClient({
    ...options.client,
    transport: clientTap,
    peer: serverEp.address,
    clock,
    random: createRandom(deriveSeed(seed, 'client')),
  });
  const stub = client.stub(rel);
  await client.connect();
  return { clock, net, serverEp, clientEp, serverTap, clientTap, server, client, stub, executions, serverErrors };
}

export type SimRun = Awaited<ReturnType<typeof startSimRun>>;

/** How one logical call ended, and when. */
export interface CallRecord {
  readonly tag: number;
  readonly startAt: number;
  readonly deadlineAt: number;
  settledAt: number | undefined;
  settleCount: number;
  value?: unknown;
  error?: unknown;
}

/** Records the settle time (virtual) and outcome of `promise`; resolves, never rejects. */
export function record(clock: VirtualClock, tag: number, timeoutMs: number, start: () => Promise<unknown>): { rec: CallRecord; done: Promise<CallRecord> } {
  const startAt = clock.now();
  const rec: CallRecord = { tag, startAt, deadlineAt: startAt + timeoutMs, settledAt: undefined, settleCount: 0 };
  const done = start().then(
    (value) => {
      rec.settleCount++;
      rec.settledAt = clock.now();
      rec.value = value;
      return rec;
    },
    (error: unknown) => {
      rec.settleCount++;
      rec.settledAt = clock.now();
      rec.error = error;
      return rec;
    },
  );
  return { rec, done };
}

/** {@link record}, for a call started `startAtMs` of virtual time from now; the promise settles with its record. */
export function recordAt(clock: VirtualClock, startAtMs: number, tag: number, timeoutMs: number, start: () => Promise<unknown>): Promise<CallRecord> {
  return new Promise((resolve) => {
    clock.setTimer(startAtMs, () => void record(clock, tag, timeoutMs, start).done.then(resolve));
  });
}

/** `n` bytes from a seeded generator. */
export function payload(n: number, seed: number): Uint8Array {
  const random = createRandom(seed);
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = Math.floor(random() * 256);
  return bytes;
}

/** The error code of a rejected call, or a marker that it was not an RpcError. */
export function codeOf(error: unknown): string {
  return RpcError.is(error) ? error.code : `not-an-RpcError: ${String(error)}`;
}

/** Equality of two byte arrays (Buffer or Uint8Array). */
export function sameBytes(x: Uint8Array, y: Uint8Array): boolean {
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** The server loses its first `n` RESPONSE datagrams (replies and replays alike). */
export function loseReplies(run: SimRun, n: number): void {
  let lost = 0;
  run.serverTap.filter = (frame) => !(frame?.type === FrameType.RESPONSE && lost++ < n);
}

/** The message id of the latest REQUEST the client sent (after letting queued frames go out). */
export async function lastRequestId(run: SimRun): Promise<number> {
  await run.clock.flushMicrotasks();
  const requests = run.clientTap.sent.filter((f) => f.type === FrameType.REQUEST);
  const last = requests[requests.length - 1];
  if (last === undefined) throw new Error('no REQUEST sent yet');
  return last.id;
}
