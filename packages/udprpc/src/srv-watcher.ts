import type { WeightedPeer } from '@udprpc/client';
import { RpcError, type Clock, type TimerHandle } from '@udprpc/core';
import type { DnsStats } from './dns-query.js';
import type { SrvResolution } from './srv-lookup.js';

/** When a `udp+srv://` name is resolved again (the `dns.*TtlMs` and `dns.maxBackoffMs` options). All in ms. */
export interface SrvTiming {
  /** Floor of the re-resolution delay: a TTL below it (0 included) counts as this. */
  readonly minTtlMs: number;
  /** Ceiling of the re-resolution delay: a longer TTL still re-resolves this often. */
  readonly maxTtlMs: number;
  /** Largest delay between retries after failed rounds. */
  readonly maxBackoffMs: number;
}

/** Defaults of {@link SrvTiming}: TTLs clamped to [1 s, 5 min]; retries after a failure 1 s, 2 s, 4 s, … up to 30 s. */
export const defaultSrvTiming: Readonly<SrvTiming> = Object.freeze({ minTtlMs: 1000, maxTtlMs: 300_000, maxBackoffMs: 30_000 });

/** What an {@link SrvWatcher} needs. */
export interface SrvWatcherOptions {
  /** The SRV name, e.g. `_calc._udp.example.internal`. */
  readonly name: string;
  /** One round of resolution (`ref`: whether its sockets keep the process alive). */
  resolve(name: string, ref: boolean): Promise<SrvResolution>;
  /** Timers come from here. */
  readonly clock: Clock;
  /** Uniform [0,1) source for the retry jitter. */
  readonly random: () => number;
  /** Floor, ceiling and backoff. */
  readonly timing: SrvTiming;
  /** Counters to update (`resolutions`, `failures`). */
  readonly stats: DnsStats;
  /** A later round produced a different set (not called for the first round, nor for an unchanged set). */
  onChange(peers: WeightedPeer[]): void;
  /** A later round failed; the last good set stays. */
  onError(error: RpcError): void;
}

/**
 * Keeps one SRV name's endpoint set current. After a successful round it
 * resolves again when the smallest TTL of the answer runs out (clamped to
 * [minTtlMs, maxTtlMs]); after a failed one, after a backoff of minTtlMs,
 * doubling with each further failure up to maxBackoffMs, jittered ×[0.8,
 * 1.2) so that many clients do not retry in step. A failed round keeps the
 * last good set. One timer, armed only after the previous round ended, so
 * rounds never overlap.
 */
export class SrvWatcher {
  private last: WeightedPeer[] | undefined;
  private print = '';
  private failures = 0;
  private nextDelayMs: number;
  private timer: TimerHandle | undefined;
  private running = false;
  private stopped = false;

  constructor(private readonly options: SrvWatcherOptions) {
    const { minTtlMs, maxTtlMs, maxBackoffMs } = options.timing;
    if (!(minTtlMs > 0 && maxTtlMs >= minTtlMs && maxBackoffMs >= minTtlMs)) {
      throw new RangeError(`dns: need 0 < minTtlMs ≤ maxTtlMs and minTtlMs ≤ maxBackoffMs, got ${minTtlMs}, ${maxTtlMs}, ${maxBackoffMs}`);
    }
    this.nextDelayMs = minTtlMs;
  }

  /** The last good set, if any round succeeded. */
  get peers(): readonly WeightedPeer[] | undefined {
    return this.last;
  }

  /** The delay before the next round, as the last round set it. */
  get delayMs(): number {
    return this.nextDelayMs;
  }

  /**
   * One round now, keeping the process alive meanwhile (the first call of a
   * client waits for it): resolves with the new set, or rejects with the
   * round's error (the last good set, if any, is kept).
   */
  async resolveNow(): Promise<WeightedPeer[]> {
    const result = await this.round(true);
    if (RpcError.is(result)) throw result;
    return result;
  }

  /** Starts re-resolving in the background, once (no-op after {@link SrvWatcher.stop}). */
  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.arm();
  }

  /** Stops for good. */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private arm(): void {
    if (this.stopped) return;
    this.timer = this.options.clock.setTimer(this.nextDelayMs, () => {
      this.timer = undefined;
      void this.tick();
    });
  }

  private async tick(): Promise<void> {
    const before = this.print;
    const result = await this.round(false);
    if (this.stopped) return;
    if (RpcError.is(result)) this.options.onError(result);
    else if (this.print !== before) this.options.onChange(result);
    this.arm();
  }

  private async round(ref: boolean): Promise<WeightedPeer[] | RpcError> {
    const { minTtlMs, maxTtlMs, maxBackoffMs } = this.options.timing;
    try {
      const { peers, ttlMs } = await this.options.resolve(this.options.name, ref);
      this.options.stats.resolutions++;
      this.failures = 0;
      this.nextDelayMs = Math.min(maxTtlMs, Math.max(minTtlMs, ttlMs));
      this.last = peers;
      this.print = fingerprint(peers);
      return peers;
    } catch (error) {
      this.options.stats.failures++;
      this.failures++;
      const backoff = Math.min(maxBackoffMs, minTtlMs * 2 ** Math.min(this.failures - 1, 30));
      this.nextDelayMs = backoff * (0.8 + 0.4 * this.options.random());
      return RpcError.from(error, 'UNAVAILABLE');
    }
  }
}

function fingerprint(peers: readonly WeightedPeer[]): string {
  return peers.map((p) => `${p.family} ${p.address} ${p.port} ${p.priority ?? 0} ${p.weight ?? 1}`).join(',');
}
