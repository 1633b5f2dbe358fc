// protocol.md §7.3 "Window": the rules the fragment sender follows, pinned
// on OutgoingTransfer (issue 12 item 3: the spec described a fixed window).
import { describe, expect, it } from 'vitest';
import { FrameType } from '@udprpc/core/wire';
import { OutgoingTransfer } from '../../packages/core/src/recovery/outgoing-transfer.js';
import { maxWindowFor, windowFor } from '../../packages/core/src/congestion/congestion-window.js';

const F = 1176;
/** The path's estimator before any sample: no time threshold, only the reordering one. */
const NO_RTT = { srttMs: undefined };
const transfer = (fragments: number): OutgoingTransfer => {
  const window = windowFor(F);
  return new OutgoingTransfer(FrameType.RESPONSE, new Uint8Array(fragments * F), F, window, NO_RTT);
};

describe('§7.3 window', () => {
  it('W0 = max(2, min(64, floor(131072 / F))); Wmax = W0 for F ≥ 8192, else max(W0, min(1024, floor(1048576 / F)))', () => {
    expect(windowFor(1176)).toBe(64);
    expect(windowFor(65_507 - 24)).toBe(2);
    expect(windowFor(4096)).toBe(32);
    expect(maxWindowFor(1176, 64)).toBe(891);
    expect(maxWindowFor(8192, windowFor(8192))).toBe(16);
    expect(maxWindowFor(100, windowFor(100))).toBe(1024);
  });

  it('starts at W0 and grows by n / cwnd per ack of n new fragments (no slow start), never past Wmax', () => {
    const t = transfer(2000);
    expect(t.nextToSend(0)).toHaveLength(64);
    expect(t.congestionWindow).toBe(64);
    t.onAck({ ackedType: 2, cumulative: 64, ranges: [] }, 10);
    expect(t.congestionWindow).toBe(65); // 64 + 64/64
    expect(t.nextToSend(10)).toHaveLength(65);
    t.onAck({ ackedType: 2, cumulative: 64 + 65, ranges: [] }, 20);
    expect(t.congestionWindow).toBe(66); // 65 + 65/65
    // Never past Wmax: a transfer whose W0 is already its Wmax does not grow.
    const big = new OutgoingTransfer(FrameType.RESPONSE, new Uint8Array(100 * 16_000), 16_000, windowFor(16_000), NO_RTT);
    expect(big.nextToSend(0)).toHaveLength(8);
    big.onAck({ ackedType: 2, cumulative: 8, ranges: [] }, 5);
    expect(big.congestionWindow).toBe(8);
  });

  it('halves at most once per flight: losses of sends before the last reduction do not halve again', () => {
    const t = transfer(2000);
    t.nextToSend(0); // fragments 0..63, send numbers 0..63
    // Fragment 5 arrives: 0, 1 and 2 are 3 sends behind it, so lost: one reduction, R = 64.
    t.onAck({ ackedType: 2, cumulative: 0, ranges: [[5, 6]] }, 10);
    let cwnd = 32 + 1 / 32;
    expect(t.congestionWindow).toBe(Math.floor(cwnd));
    // Fragments 6..19 arrive: 3 and 4 (send numbers 3, 4, before R) are lost too, without halving again.
    t.onAck({ ackedType: 2, cumulative: 0, ranges: [[5, 20]] }, 11);
    cwnd += 14 / cwnd;
    expect(t.congestionWindow).toBe(Math.floor(cwnd));
    // 44 fragments (20..63) are still in flight, more than the window of 32: nothing goes out.
    expect(t.nextToSend(11)).toEqual([]);
  });

  it('a PTO probe (nothing declared lost) leaves the window alone; the loss its ack reveals halves it', () => {
    const t = transfer(2000);
    t.nextToSend(0); // fragments 0..63, send numbers 0..63
    t.onAck({ ackedType: 2, cumulative: 64, ranges: [] }, 10);
    expect(t.congestionWindow).toBe(65);
    expect(t.nextToSend(10)).toHaveLength(65); // 64..128, send numbers 64..128
    // The probe: nothing is lost, the window stays 65; it resends the lowest unacked fragment.
    expect(t.onTimeout(50, Number.POSITIVE_INFINITY)).toEqual([64]);
    expect(t.congestionWindow).toBe(65);
    // Its ack: 64 (resent) and 66..128 arrived, 65 did not: 65 is lost (3 sends behind), one halving.
    t.onAck({ ackedType: 2, cumulative: 65, ranges: [[66, 129]] }, 60);
    expect(t.congestionWindow).toBe(Math.floor(65 / 2 + 64 / (65 / 2)));
  });

  it('a timeout, loss timer or resend halves when something was sent since the last reduction', () => {
    const t = transfer(2000);
    t.nextToSend(0);
    t.onTimeout(500, 1); // every fragment in flight is old enough: all lost, cwnd 32, the first 32 resent
    expect(t.congestionWindow).toBe(32);
    // The resends are a new flight: the next timeout halves again.
    t.onTimeout(1000, 1);
    expect(t.congestionWindow).toBe(16);
    // Never below 2.
    for (let i = 0; i < 6; i++) t.onTimeout(1500 + 500 * i, 1);
    expect(t.congestionWindow).toBe(2);
  });
});
