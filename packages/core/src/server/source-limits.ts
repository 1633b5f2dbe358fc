// What a server lets one source address cost it (protocol.md §8.2–8.3): the
// limits and the measured per-address charges behind them. The table that
// applies them is source-table.ts.

/** Limits on what one source address may make the server do. */
export interface SourceLimits {
  /** Datagrams per second accepted from one address. 100,000. */
  ratePerSecond: number;
  /** Bucket size: datagrams accepted in a burst. 100,000. */
  rateBurst: number;
  /**
   * Until an address is validated, bytes sent to it stay below this multiple
   * of the bytes received from it (QUIC's factor, RFC 9000 §8.1). 3. Set to
   * Infinity to disable anti-amplification.
   */
  amplificationFactor: number;
  /** Addresses remembered. 65,536. */
  maxSources: number;
  /**
   * Bytes of per-source and per-session state: each address is charged
   * `SOURCE_STATE_BYTES`, each of its client sessions
   * `SESSION_STATE_BYTES`, and its RTT estimator, once a reply in fragments
   * made one, `RTT_STATE_BYTES` (measured heap costs, protocol.md §8.2). Past
   * it, the least recently seen addresses are forgotten. 64 MiB: 65,536
   * addresses with one session each, or 12,900 with 16.
   */
  maxStateBytes: number;
  /**
   * How long a token echo validates its session at that address: 30 s, the
   * token's own lifetime. After that the 3× limit applies again and the next
   * large reply costs the client one more round trip, so a former client's
   * address cannot be used for reflection (protocol.md §8.2).
   */
  validationLifetimeMs: number;
}

/**
 * What one remembered address costs: its state, its session map, its key
 * and its slot in the table. Measured: 377 bytes on Node 20 (x64).
 */
export const SOURCE_STATE_BYTES = 400;
/**
 * What one client session costs: its state, its (empty) map of calls and
 * its slot in its source's map. Measured: 284 bytes. Its calls' entries are
 * charged by the reply cache (dedup.maxBytes).
 */
export const SESSION_STATE_BYTES = 300;
/**
 * What one address's RTT estimator costs (made at its first reply in
 * fragments): the object and its boxed numbers. Measured: 115–130 bytes on
 * Node 20 (x64), once sampled (`test/hardening/measure-memory.ts rtt`).
 */
export const RTT_STATE_BYTES = 150;

/** Defaults; see each field. */
export const defaultSourceLimits: Readonly<SourceLimits> = Object.freeze({
  ratePerSecond: 100_000,
  rateBurst: 100_000,
  amplificationFactor: 3,
  maxSources: 65_536,
  maxStateBytes: 64 * 1024 * 1024,
  validationLifetimeMs: 30_000,
});
