import { RpcError } from '../errors.js';
import { formatPeer, type PeerAddress } from '../transport/transport.js';
import { finish } from './call-lifecycle.js';
import type { ClientState } from './client-state.js';

/**
 * The network reported that nothing listens at `peer` (an ICMP port
 * unreachable, `RetryPolicy.maxRefusals`): after that many in a row, with
 * no reply from the peer in between, every call to it (but group calls)
 * fails with UNAVAILABLE.
 */
export function onUnreachable(s: ClientState, peer: PeerAddress, now: number): void {
  const state = s.peers.get(peer);
  if (state === undefined) return;
  if (state.refusals++ === 0) state.refusingSince = now;
  if (state.refusals < s.policy.maxRefusals) return;
  const refusals = state.refusals;
  state.refusals = 0;
  const message = `nothing is listening at udp://${formatPeer(peer)} (${refusals} refusals in a row: ICMP port unreachable)`;
  for (const call of [...s.pending.values()]) {
    if (call.peerState !== state || call.group !== undefined || s.pending.get(call.id) !== call) continue;
    s.counters.timeouts++;
    s.hooks.onTimeout?.({ id: call.id, peer: call.peer, attempts: call.attempt });
    // A call sent before the refusals began, to a server that had answered,
    // may have reached a process that has since died (a restart, §6.3).
    const mayHaveRun = state.answered && call.firstSentAt < state.refusingSince;
    finish(s, call, { ok: false, error: new RpcError('UNAVAILABLE', message, { details: { refusals }, mayHaveRun }) });
  }
}
