import { decodeFrame, FrameType, splitBatch, type Frame } from '@udprpc/core/wire';
import { SimNetwork, VirtualClock } from '@udprpc/testkit';

/** The frames of one datagram: itself, or the entries of a BATCH (protocol.md §3.4). Undecodable ones are left out. */
export function framesOf(datagram: Uint8Array): Frame[] {
  const f = decodeFrame(datagram.slice());
  if (!f.ok) return [];
  if (f.value.type !== FrameType.BATCH) return [f.value];
  const entries = splitBatch(f.value.body);
  if (!entries.ok) return [];
  return entries.value.flatMap((e) => framesOf(e));
}

/** A simulated network (1 ms links, virtual clock) that records every frame it delivers, batches split. */
export function recordingNetwork(seed = 1): { clock: VirtualClock; network: SimNetwork; frames: Frame[] } {
  const clock = new VirtualClock();
  const frames: Frame[] = [];
  const network = new SimNetwork({
    clock,
    seed,
    defaults: { delayMs: 1 },
    onEvent: (e) => {
      if (e.type === 'deliver') frames.push(...framesOf(e.bytes));
    },
  });
  return { clock, network, frames };
}
