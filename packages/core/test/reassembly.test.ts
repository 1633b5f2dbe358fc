// Reassembly memory (protocol.md §7.4, issue 11.2 and 11.4): what the table
// charges is what it retains, reserved when a message is admitted; fragments
// are copied, never kept as views into their datagrams.
import { describe, expect, it } from 'vitest';
import { encodeBatch, encodeFrame, parseFrame, splitBatch, FrameType, type FragmentInfo } from '../src/wire/index.js';
import { ReassemblyTable } from '../src/recovery/reassembly-table.js';
import { defaultReassemblyLimits } from '../src/recovery/reassembly-limits.js';

const MESSAGE_OVERHEAD = 800;

/** The fragment's body as the server sees it: a view into a BATCH datagram next to `junkBytes` of junk. */
function fragmentInBatch(id: number, f: FragmentInfo, junkBytes: number): Uint8Array {
  const length = Math.min(f.fragmentBytes, f.totalBytes - f.index * f.fragmentBytes);
  const frame = encodeFrame({ type: FrameType.REQUEST, flags: 0, attempt: 0, session: 1, id }, new Uint8Array(length).fill(f.index & 0xff), f);
  const batch = parseFrame(encodeBatch([frame, new Uint8Array(junkBytes)]));
  if (typeof batch === 'string') throw new Error(batch);
  const parts = splitBatch(batch.body);
  if (!parts.ok) throw new Error(parts.error);
  const one = parseFrame(parts.value[0]!);
  if (typeof one === 'string') throw new Error(one);
  expect(one.body.buffer.byteLength).toBeGreaterThan(junkBytes); // a view into the whole datagram
  return one.body;
}

describe('ReassemblyTable memory', () => {
  it('bytes charged = bytes of the buffers it retains + 800 per message, at every step; nothing of a datagram is kept', () => {
    const table = new ReassemblyTable({ ...defaultReassemblyLimits, maxPeerMessages: 100 });
    const shapes = [
      { totalBytes: 2, fragmentBytes: 1 },
      { totalBytes: 5000, fragmentBytes: 1176 },
      { totalBytes: 70_000, fragmentBytes: 1000 },
    ];
    for (let step = 0; step < 4; step++) {
      shapes.forEach((shape, id) => {
        if (step >= Math.ceil(shape.totalBytes / shape.fragmentBytes)) return;
        const f = { ...shape, index: step };
        table.offer(`m${id}`, 'peer', FrameType.REQUEST, f, fragmentInBatch(id, f, 64_000), false, 0);
        expect(table.bytes).toBe(table.retainedBytes() + MESSAGE_OVERHEAD * table.size);
      });
    }
    // The 2-byte message completed; the others hold exactly their body and one flag byte per fragment.
    expect(table.size).toBe(2);
    expect(table.retainedBytes()).toBe(5000 + 5 + 70_000 + 70);
  });

  it('an admitted message takes all its fragments even when the table is full; a new one is refused', () => {
    const cost = MESSAGE_OVERHEAD + 10 + 10_000;
    const table = new ReassemblyTable({ ...defaultReassemblyLimits, maxTotalBytes: cost, maxPeerBytes: cost });
    const shape = { totalBytes: 10_000, fragmentBytes: 1000 };
    expect(table.offer('a', 'p', FrameType.REQUEST, { ...shape, index: 3 }, new Uint8Array(1000), false, 0).status).toBe('added');
    expect(table.bytes).toBe(cost);
    expect(table.offer('b', 'q', FrameType.REQUEST, { ...shape, index: 0 }, new Uint8Array(1000), false, 0)).toMatchObject({ status: 'refused', reason: 'total-limit' });
    const results = [0, 1, 2, 4, 5, 6, 7, 8, 9].map((index) => table.offer('a', 'p', FrameType.REQUEST, { ...shape, index }, new Uint8Array(1000).fill(index), false, 0).status);
    expect(results).toEqual(['added', 'added', 'added', 'added', 'added', 'added', 'added', 'added', 'complete']);
    expect(table.bytes).toBe(0);
  });
});
