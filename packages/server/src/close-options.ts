/** Options of a graceful {@link Server.close}. */
export interface CloseOptions {
  /**
   * Drain first (protocol.md §5.9): send a GOAWAY to the clients that talked
   * to this server recently, refuse new calls (UNAVAILABLE, "going away",
   * not run), answer retransmissions from the reply cache, and let running
   * handlers finish; close at the latest `graceMs` after the call (handlers
   * still running then are aborted). Without it, `close()` aborts at once.
   */
  graceMs?: number;
  /**
   * Once no handler is running, keep answering retransmissions this long
   * before closing, so a reply lost on its way can still be asked for and
   * re-sent from the cache. Default 1000 ms (the client's slowest probe
   * interval for a call it knows is running, `ackedProbeIntervalMs`); never
   * past `graceMs`.
   */
  lingerMs?: number;
}

/** Default {@link CloseOptions.lingerMs}. */
export const DEFAULT_LINGER_MS = 1000;
