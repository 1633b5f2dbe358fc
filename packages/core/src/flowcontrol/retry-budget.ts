import type { RetryBudgetPolicy } from '../recovery/retry-policy.js';

/** A snapshot of the retry budget, for `stats()`. */
export interface RetryBudgetState {
  /** Tokens available now. */
  tokens: number;
  /** Tokens deposited so far. */
  deposited: number;
  /** Tokens spent on retransmissions so far. */
  spent: number;
  /** Retransmissions refused for lack of tokens. */
  denied: number;
}

/** The token bucket described by {@link RetryBudgetPolicy}; time comes in as `now`. */
export class RetryBudget {
  private tokens: number;
  private lastRefillAt: number | undefined;
  private deposited = 0;
  private spent = 0;
  private denied = 0;

  constructor(private readonly policy: RetryBudgetPolicy) {
    this.tokens = policy.burst;
  }

  /**
   * A new call was started, `inFlight` calls (this one included) await replies.
   * The bucket holds up to `burst` plus `ratio` per call in flight, so a burst
   * of calls that all lose their first datagram together can still retry.
   */
  onCall(inFlight = 1): void {
    this.deposited += this.policy.ratio;
    const cap = this.policy.burst + this.policy.ratio * inFlight;
    this.tokens = Math.min(cap, this.tokens + this.policy.ratio);
  }

  /** Takes one token for a retransmission; false when the budget is empty. */
  tryRetry(now: number): boolean {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.spent++;
      return true;
    }
    this.denied++;
    return false;
  }

  /** A snapshot of the budget at `now`. */
  state(now: number): RetryBudgetState {
    this.refill(now);
    return { tokens: this.tokens, deposited: this.deposited, spent: this.spent, denied: this.denied };
  }

  private refill(now: number): void {
    if (this.lastRefillAt !== undefined && now > this.lastRefillAt) {
      // The steady refill tops the bucket up to `burst`; it never takes away
      // tokens that calls in flight deposited above it.
      const add = ((now - this.lastRefillAt) / 1000) * this.policy.minPerSecond;
      if (this.tokens < this.policy.burst) {
        const added = Math.min(add, this.policy.burst - this.tokens);
        this.deposited += added;
        this.tokens += added;
      }
    }
    this.lastRefillAt = now;
  }
}
