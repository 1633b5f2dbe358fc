import type { RetryBudgetPolicy } from './retry-policy.js';

/** A snapshot of the retry budget, for `stats()`. */
export interface RetryBudgetState {
  tokens: number;
  deposited: number;
  spent: number;
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

  /** A new call was started. */
  onCall(): void {
    this.deposited += this.policy.ratio;
    this.tokens = Math.min(this.policy.burst, this.tokens + this.policy.ratio);
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

  state(now: number): RetryBudgetState {
    this.refill(now);
    return { tokens: this.tokens, deposited: this.deposited, spent: this.spent, denied: this.denied };
  }

  private refill(now: number): void {
    if (this.lastRefillAt !== undefined && now > this.lastRefillAt) {
      const add = ((now - this.lastRefillAt) / 1000) * this.policy.minPerSecond;
      this.deposited += add;
      this.tokens = Math.min(this.policy.burst, this.tokens + add);
    }
    this.lastRefillAt = now;
  }
}
