import { RpcError } from '@udprpc/core';
import { checkHostOptions, checkOptionalArray, checkOptionalNumber, checkPeerAddress } from '@udprpc/core/engine';
import { checkWeighting, type WeightedPeer } from './balancer.js';
import type { ClientOptions } from './client-options.js';

// The checks of createClient's own options (issue 13): a TypeError for a
// value of the wrong type or shape, a RangeError for one out of range, both
// thrown by createClient itself. What it hands to the engine (retry, flow,
// sizes) the engine checks, with the same names.

/** Whether `value` is a promise (or any thenable): a peer list that comes later. */
function isThenable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Checks a list of peers given now (not a promise or a function): each a
 * peer address with, optionally, an SRV priority and weight.
 */
export function checkPeerList(peers: unknown, name: string): void {
  checkOptionalArray(peers, name, (peer, at) => {
    checkPeerAddress(peer, at);
    checkWeighting(peer as WeightedPeer, at);
  });
}

/** Checks {@link ClientOptions}; throws a TypeError or a RangeError naming the first bad option. */
export function checkClientOptions(options: ClientOptions): void {
  checkHostOptions(options, ['pathMtuDiscovery', 'coalesce', 'validate', 'validateOutput']);
  if ((options.peer === undefined) === (options.peers === undefined)) {
    throw new TypeError(`createClient: pass exactly one of \`peer\` and \`peers\` (options.${options.peer === undefined ? 'peer and options.peers are both missing' : 'peer and options.peers are both given'})`);
  }
  const { peer, peers } = options;
  if (peer !== undefined && typeof peer !== 'function' && !isThenable(peer)) checkPeerAddress(peer, 'options.peer');
  if (peers !== undefined && typeof peers !== 'function' && !isThenable(peers)) checkPeerList(peers, 'options.peers');
  checkOptionalNumber(options.timeoutMs, 'options.timeoutMs', { above: 0, infinite: true });
}

/**
 * Runs `apply` on configuration that arrived after construction (a peer
 * list from a promise): a TypeError or RangeError it throws fails the calls
 * that waited for it, so it becomes an RpcError INVALID_ARGUMENT.
 */
export function invalidAsRpcError(apply: () => void): void {
  try {
    apply();
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) throw new RpcError('INVALID_ARGUMENT', error.message, { cause: error });
    throw error;
  }
}
