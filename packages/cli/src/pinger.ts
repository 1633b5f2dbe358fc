import { lookup } from 'node:dns/promises';
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type PeerAddress } from '@udprpc/core';
import { decodeFrame, encodeFrame, FrameType } from '@udprpc/core/wire';
import { createUdpTransport, parseEndpoint, RpcError } from 'udprpc';

/** Options of {@link ping}. */
export interface PingOptions {
  /** `udp://host:port`. */
  url: string;
  /** PINGs to send. */
  count: number;
  /** Time between PINGs. */
  intervalMs: number;
  /** How long to wait for each probe's PONG. */
  timeoutMs: number;
  /** Stops sending; probes still waiting count as lost. */
  signal?: AbortSignal | undefined;
  /** The server's address is known and the socket bound: probes start. */
  onStart?: (peer: PeerAddress) => void;
  /** A PONG for probe `seq` (1-based) arrived after `rttMs`. */
  onReply?: (seq: number, rttMs: number, from: PeerAddress) => void;
  /** Probe `seq` got no PONG within `timeoutMs`. */
  onTimeout?: (seq: number) => void;
  /** A socket error (each distinct message once). */
  onError?: (error: Error) => void;
}

/** What a {@link ping} run measured. */
export interface PingResult {
  /** PINGs sent. */
  transmitted: number;
  /** PONGs received. */
  received: number;
  /** Round-trip times of the replies, in ms, in arrival order. */
  rttsMs: number[];
  /** From the first probe until the last one was answered or given up. */
  elapsedMs: number;
}

interface Probe {
  readonly seq: number;
  readonly sentAt: number;
  readonly timer: NodeJS.Timeout;
  readonly done: () => void;
}

/**
 * Sends raw PING frames (protocol.md §4) from a socket of its own and times
 * the PONGs, which the server's engine answers echoing session and id without
 * running a handler. Probe ids count up from a random start within a random
 * session; a PONG for an unknown or expired id is ignored.
 */
export async function ping(options: PingOptions): Promise<PingResult> {
  const peer = await resolvePeer(options.url);
  const transport = createUdpTransport(
    peer.family === 'IPv6' ? { host: '::', type: 'udp6', ipv6Only: true } : { host: '0.0.0.0', type: 'udp4' },
  );
  const session = randomInt(1, 0xffff_ffff);
  const firstId = randomInt(0, 0xffff_ffff);
  const pending = new Map<number, Probe>();
  const rttsMs: number[] = [];
  const errors = new Set<string>();

  await transport.listen(
    (bytes, from) => {
      const now = performance.now();
      const frame = decodeFrame(bytes);
      if (!frame.ok || frame.value.type !== FrameType.PONG || frame.value.session !== session) return;
      const probe = pending.get(frame.value.id);
      if (probe === undefined) return;
      const rttMs = now - probe.sentAt;
      rttsMs.push(rttMs);
      options.onReply?.(probe.seq, rttMs, from);
      probe.done();
    },
    (error) => {
      if (errors.has(error.message)) return;
      errors.add(error.message);
      options.onError?.(error);
    },
  );
  options.onStart?.(peer);

  const settled: Promise<void>[] = [];
  const started = performance.now();
  let transmitted = 0;
  // On abort, probes still waiting are given up at once (counted as lost).
  const giveUp = (): void => {
    for (const probe of [...pending.values()]) probe.done();
  };
  options.signal?.addEventListener('abort', giveUp, { once: true });
  try {
    for (let seq = 1; seq <= options.count && options.signal?.aborted !== true; seq++) {
      const id = (firstId + seq) >>> 0;
      const frame = encodeFrame({ type: FrameType.PING, flags: 0, attempt: 0, session, id }, new Uint8Array(0));
      settled.push(
        new Promise<void>((resolve) => {
          const done = (): void => {
            clearTimeout(timer);
            pending.delete(id);
            resolve();
          };
          const timer = setTimeout(() => {
            options.onTimeout?.(seq);
            done();
          }, options.timeoutMs);
          pending.set(id, { seq, sentAt: performance.now(), timer, done });
        }),
      );
      transport.send(frame, peer);
      transmitted++;
      if (seq < options.count) await sleep(options.intervalMs, options.signal);
    }
    if (options.signal?.aborted === true) giveUp();
    await Promise.all(settled);
  } finally {
    options.signal?.removeEventListener('abort', giveUp);
    giveUp();
    await transport.close();
  }
  return { transmitted, received: rttsMs.length, rttsMs, elapsedMs: performance.now() - started };
}

/** Summary statistics of round-trip times, as ping(8) prints them. */
export interface RttSummary {
  /** Shortest round trip. */
  minMs: number;
  /** Mean round trip. */
  avgMs: number;
  /** Longest round trip. */
  maxMs: number;
  /** Standard deviation (ping(8)'s "mdev"). */
  mdevMs: number;
}

/** min/avg/max/mdev of `rttsMs`, or undefined when there are none. */
export function summarizeRtts(rttsMs: readonly number[]): RttSummary | undefined {
  if (rttsMs.length === 0) return undefined;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sumSq = 0;
  for (const r of rttsMs) {
    min = Math.min(min, r);
    max = Math.max(max, r);
    sum += r;
    sumSq += r * r;
  }
  const avg = sum / rttsMs.length;
  return { minMs: min, avgMs: avg, maxMs: max, mdevMs: Math.sqrt(Math.max(0, sumSq / rttsMs.length - avg * avg)) };
}

async function resolvePeer(url: string): Promise<PeerAddress> {
  const endpoint = parseEndpoint(url);
  if (endpoint.ipVersion !== 0) {
    return { address: endpoint.host, family: endpoint.ipVersion === 6 ? 'IPv6' : 'IPv4', port: endpoint.port };
  }
  try {
    const r = await lookup(endpoint.host);
    return { address: r.address, family: r.family === 6 ? 'IPv6' : 'IPv4', port: endpoint.port };
  } catch (e) {
    throw new RpcError('UNAVAILABLE', `could not resolve ${endpoint.host}`, { cause: e });
  }
}

// Resolves after `ms`, or at once when `signal` aborts.
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
