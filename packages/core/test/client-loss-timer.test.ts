// The client's loss timer when the RTT estimate moved after it was armed
// (client/early-loss.ts onLossTimer, protocol.md §7.2): it checks again and
// re-arms at the new loss time, or, if that is not before the call's next
// send or deadline, at that instead. Exact timer schedule.
import { describe, expect, it } from 'vitest';
import { ClientEngine } from '../src/client/client-engine.js';
import type { CallOutcome } from '../src/client/call-types.js';
import { FrameType } from '../src/wire/frame-header.js';
import { encodeFrame } from '../src/wire/frame.js';
import { framesOf, METHOD, SERVER } from './engine-pair.js';

function setUp(deadlineOfFirst: number) {
  const sent: Array<[number, number]> = [];
  const engine = new ClientEngine({ send: (b) => sent.push(...framesOf(b).filter((f) => f.type === FrameType.REQUEST).map((f) => [f.id, f.attempt] as [number, number])), random: () => 0.5 });
  const outcomes: CallOutcome[] = [];
  const call = (deadlineAt: number) => engine.call({ peer: SERVER, method: METHOD, payload: new Uint8Array(0), deadlineAt }, 0, (o) => outcomes.push(o)) as number;
  const [a, b, c] = [call(deadlineOfFirst), call(5000), call(5000)];
  const answer = (id: number, now: number) => engine.receive(encodeFrame({ type: FrameType.RESPONSE, flags: 0, attempt: 0, session: engine.session, id }, new Uint8Array(0)), SERVER, now);
  return { engine, sent, outcomes, a: a!, b: b!, c: c!, answer };
}

describe('the loss timer checks again when the RTT moved', () => {
  it('re-armed at the later loss time, then resent', () => {
    const { engine, sent, a, b, c, answer } = setUp(5000);
    answer(b, 8); // SRTT 8: a lost at 9
    expect(engine.nextTimerAt()).toBe(9);
    answer(c, 8.9); // SRTT 8.1125, latest 8.9: a lost at 9/8 × 8.9 = 10.0125
    expect(engine.nextTimerAt()).toBe(9);
    engine.onTimer(9);
    expect(sent).toHaveLength(3);
    expect(engine.nextTimerAt()).toBeCloseTo(10.0125, 10);
    engine.onTimer(engine.nextTimerAt()!);
    expect(sent.at(-1)).toEqual([a, 1]);
    expect(engine.stats()).toMatchObject({ lossRetransmits: 1 });
  });

  it('a new loss time not before the deadline: re-armed at the deadline, which ends the call', () => {
    const { engine, sent, outcomes, answer, b, c } = setUp(10);
    answer(b, 8);
    answer(c, 8.9);
    engine.onTimer(9);
    expect(engine.nextTimerAt()).toBe(10);
    engine.onTimer(10);
    expect(sent).toHaveLength(3);
    expect(outcomes.map((o) => !o.ok && o.error.code)).toEqual([false, false, 'DEADLINE_EXCEEDED']);
  });
});
