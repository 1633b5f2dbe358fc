// The congestion window on its own (protocol.md §7.3 "Window"): AIMD in
// fragments, halving once per flight, a timeout starting over from W0.
import { describe, expect, it } from 'vitest';
import { CongestionWindow, maxWindowFor, windowFor } from '../src/congestion/congestion-window.js';

describe('CongestionWindow', () => {
  it('starts at W0 and grows by n / cwnd per n fragments acknowledged, up to its largest window', () => {
    const w = new CongestionWindow(4, 6);
    expect(w.fragments).toBe(4);
    w.onAcked(0);
    expect(w.fragments).toBe(4);
    w.onAcked(4); // 4 + 4/4
    expect(w.fragments).toBe(5);
    w.onAcked(5); // 5 + 5/5
    expect(w.fragments).toBe(6);
    w.onAcked(1000); // capped
    expect(w.fragments).toBe(6);
  });

  it('a loss halves once per flight: sends numbered at or above the sends made at the last reduction halve again', () => {
    const w = new CongestionWindow(64, 1024);
    w.onLost(0, 1); // the very first send: halve
    expect(w.fragments).toBe(32);
    const v = new CongestionWindow(64, 1024);
    v.onLost(10, 64); // sends 0..63 made: halve, the flight ends at send 64
    expect(v.fragments).toBe(32);
    v.onLost(63, 70); // made before the reduction: the same flight
    expect(v.fragments).toBe(32);
    v.onLost(64, 70); // the first send after it: a new flight (it counted as the old one's before)
    expect(v.fragments).toBe(16);
    v.onLost(65, 80); // made before that reduction (at 70): the same flight
    expect(v.fragments).toBe(16);
  });

  it('a timeout after exactly one send since the last reduction halves (a flight of one fragment)', () => {
    const w = new CongestionWindow(8, 1024);
    w.onTimeout(5, false); // sends 0..4: halve to 4, the flight ends at 5
    expect(w.fragments).toBe(4);
    w.onTimeout(6, false); // send 5 alone since: a new flight, halve to 2
    expect(w.fragments).toBe(2);
  });

  it('never below 2', () => {
    const w = new CongestionWindow(4, 4);
    for (let i = 0; i < 10; i++) w.onLost(10 * i, 10 * i + 1);
    expect(w.fragments).toBe(2);
  });

  it('a timeout starts over from W0 (restart) or halves (a resend asked for), only if a send was made since the last reduction; then slow start up to ssthresh', () => {
    const w = new CongestionWindow(8, 1024);
    w.onAcked(8 * 8); // 8 + 64/8 = 16
    expect(w.fragments).toBe(16);
    w.onTimeout(100, false); // halve: cwnd 8, ssthresh 8
    expect(w.fragments).toBe(8);
    w.onTimeout(100, false); // no send since the last reduction: the same flight, nothing
    expect(w.fragments).toBe(8);
    w.onTimeout(102, false); // sends made since: halve again
    expect(w.fragments).toBe(4);
    const v = new CongestionWindow(8, 1024);
    v.onAcked(8 * 24); // 8 + 24 = 32
    expect(v.fragments).toBe(32);
    v.onTimeout(10, true); // cwnd back to 8, ssthresh 16: slow start below it
    expect(v.fragments).toBe(8);
    v.onAcked(4); // slow start: +4
    expect(v.fragments).toBe(12);
    v.onAcked(6); // to 18, past ssthresh 16 (slow start adds the whole n)
    expect(v.fragments).toBe(18);
    v.onAcked(18); // congestion avoidance: + 18/18
    expect(v.fragments).toBe(19);
  });

  it('W0 and Wmax (protocol.md §7.3)', () => {
    expect(windowFor(1176)).toBe(64);
    expect(windowFor(65_483)).toBe(2);
    expect(windowFor(2048)).toBe(64);
    expect(windowFor(4096)).toBe(32);
    expect(maxWindowFor(1176, 64)).toBe(891);
    expect(maxWindowFor(8191, 16)).toBe(128);
    expect(maxWindowFor(8192, 16)).toBe(16);
  });
});
