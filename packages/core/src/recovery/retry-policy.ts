// Every timing default of the protocol lives here, each with its reason and
// the worst case it implies. docs/semantics.md repeats this table; keep both
// in step.

/** How a client times and repeats unanswered requests. */
export interface RetryPolicy {
  /**
   * RTO for a peer with no RTT sample yet. 200 ms: udprpc targets LANs and
   * data centres, where RFC 6298's 1 s would make the first lost datagram to a
   * new peer cost a whole second; it is still far above any LAN RTT.
   */
  initialRtoMs: number;
  /**
   * Floor of the adaptive RTO. 30 ms: loopback RTTs are ~0.1 ms, but a GC
   * pause or a busy event loop on either side easily takes 10–20 ms, and a
   * floor below that turns every pause into a burst of spurious retransmits.
   */
  minRtoMs: number;
  /** Ceiling of the adaptive RTO (RFC 6298 §2.5 allows 60 s). */
  maxRtoMs: number;
  /**
   * Ceiling of the exponential backoff between retransmissions of one call,
   * unless the peer's own RTO is higher. 250 ms: with loss of 30% each way an
   * exchange fails half the time, and a 5 s deadline must leave room for ~20
   * tries (0.51^20 ≈ 1.4e-6) for a call to still get through; a longer cap
   * gains nothing on a LAN and the retry budget keeps storms bounded.
   */
  maxBackoffMs: number;
  /** Backoff factor per unanswered retransmission (2: RFC 6298 §5.5). */
  backoffMultiplier: number;
  /**
   * Each delay is multiplied by a random factor in [1 − j, 1 + j] from the
   * injected RNG, so calls lost together do not retry together. 0.2.
   */
  jitterRatio: number;
  /**
   * Transmissions of a request that the server has not acknowledged before the
   * call fails with UNAVAILABLE. 64: in practice the deadline ends a call
   * first; this bounds calls given very long deadlines to a dead peer
   * (64 × 250 ms ≈ 16 s of probing).
   */
  maxAttempts: number;
  /**
   * After the server has said "in progress" (ACK), the client re-sends only to
   * recover a lost reply: one RTO after the ACK, then doubling up to this
   * interval (or the peer's RTO if higher): 1000 ms. A quick handler whose
   * reply is lost is asked again within an RTO; a 30 s handler costs ~35
   * small datagrams, not a storm.
   */
  ackedProbeIntervalMs: number;
  /**
   * Refusals in a row (ICMP port unreachable, reported by a connected UDP
   * socket as ECONNREFUSED, one per datagram sent) from a server with no
   * datagram from it in between, after which every call to it fails with
   * UNAVAILABLE ("nothing is listening at udp://host:port"). 3: one refusal
   * may be a server restarting on its port, or a stray ICMP; three, with
   * silence in between, mean nobody is there. Instead of the whole deadline
   * (5 s, 21 attempts), a call to a dead port costs about 3 transmissions
   * (0, 200 and 450 ms with the default RTO and backoff; less when several
   * calls send at once).
   */
  maxRefusals: number;
}

/** Defaults; see each field for its rationale. */
export const defaultRetryPolicy: Readonly<RetryPolicy> = Object.freeze({
  initialRtoMs: 200,
  minRtoMs: 30,
  maxRtoMs: 60_000,
  maxBackoffMs: 250,
  backoffMultiplier: 2,
  jitterRatio: 0.2,
  maxAttempts: 64,
  ackedProbeIntervalMs: 1000,
  maxRefusals: 3,
});

/**
 * Limits retransmissions client-wide, Finagle-style: every new call deposits
 * `ratio` tokens, every retransmission spends one, and the bucket also refills
 * at `minPerSecond` so a quiet client can still retry. A loss storm can thus
 * multiply traffic by at most (1 + ratio) plus `burst` + `minPerSecond`·t
 * datagrams. A retransmission with no token is skipped (counted in
 * `retriesDenied`) and the call waits for its next turn or its deadline.
 */
export interface RetryBudgetPolicy {
  /**
   * Tokens deposited per new call. 2: at 30% loss each way a call needs ~1.04
   * retransmissions on average, and the pool lets unlucky calls borrow from
   * lucky ones; traffic stays below 3× the loss-free rate plus the burst.
   */
  ratio: number;
  /** Bucket content at start, and its size beyond `ratio` per call in flight. 100. */
  burst: number;
  /** Tokens added per second regardless of traffic. 10. */
  minPerSecond: number;
}

/** Defaults; see each field for its rationale. */
export const defaultRetryBudget: Readonly<RetryBudgetPolicy> = Object.freeze({
  ratio: 2,
  burst: 100,
  minPerSecond: 10,
});

/** Per-call defaults. */
export const defaultCallPolicy = Object.freeze({
  /** Deadline of a call that sets none: 5 s (gRPC has none; CoAP's span is ~93 s). */
  timeoutMs: 5000,
});

/**
 * How long the server remembers a completed call for duplicate suppression.
 *
 * Invariant (docs/semantics.md): a client never retransmits after its call's
 * deadline, and every request carries the time left until it. The server keeps
 * a call's entry until `arrival + remaining deadline + graceMs`, which covers
 * every retransmission that the network delivers less than `graceMs` later
 * than the first copy. 2000 ms grace: far above any LAN or WAN delay spread.
 */
export interface DedupPolicy {
  /** Extra time an entry outlives its call's deadline (see above). 2000 ms. */
  graceMs: number;
  /** Byte cap on cached replies plus per-entry overhead. 64 MiB. */
  maxBytes: number;
  /**
   * Longest deadline the server honours (longer requests are clamped), which
   * bounds how long one entry can live: 10 minutes.
   */
  maxDeadlineMs: number;
}

/** Defaults; see each field for its rationale. */
export const defaultDedupPolicy: Readonly<DedupPolicy> = Object.freeze({
  graceMs: 2000,
  maxBytes: 64 * 1024 * 1024,
  maxDeadlineMs: 10 * 60_000,
});

/** Datagram size defaults. */
export const defaultSizes = Object.freeze({
  /**
   * Largest datagram we send: 1200 bytes, the path MTU floor that QUIC also
   * assumes (RFC 9000 §14), so nothing is fragmented by IP on any real path.
   * Raise it (up to 65,507) for loopback or a known LAN.
   */
  maxDatagramBytes: 1200,
});
