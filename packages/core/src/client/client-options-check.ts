import type { FlowLimits } from '../flowcontrol/peer-state.js';
import {
  checkFunction,
  checkNumberGroup,
  checkObject,
  checkOptionalChoice,
  checkOptionalFunction,
  checkOptionalNumber,
  checkOptionalObject,
  type NumberFields,
} from '../options-check.js';
import type { RetryBudgetPolicy, RetryPolicy } from '../recovery/retry-policy.js';
import { checkDatagramBytes, checkPathMtuOptions } from '../transport/datagram-options-check.js';
import type { ClientEngineOptions } from './client-engine-options.js';

// Ranges of the client engine's options: what the engine can work with, not
// what is wise (the defaults in retry-policy.ts say that). A limit that is
// off (Infinity) is allowed where the code treats it as "no limit".

const retryFields: NumberFields<RetryPolicy> = {
  initialRtoMs: { min: 0 },
  minRtoMs: { min: 0 },
  maxRtoMs: { min: 0, infinite: true },
  maxBackoffMs: { min: 0 },
  backoffMultiplier: { min: 1 },
  jitterRatio: { min: 0, max: 1 },
  maxAttempts: { min: 1, integer: true, infinite: true },
  ackedProbeIntervalMs: { above: 0 },
  maxRefusals: { min: 1, integer: true, infinite: true },
};

/** Ranges of a retry budget's fields (the client's, and any bucket built like it: hedging). */
export const retryBudgetFields: NumberFields<RetryBudgetPolicy> = {
  ratio: { min: 0 },
  burst: { min: 0 },
  minPerSecond: { min: 0 },
};

const flowFields: NumberFields<FlowLimits> = {
  maxInFlightPerPeer: { min: 1, integer: true },
  maxQueuedPerPeer: { min: 0, integer: true },
};

/**
 * Checks a {@link ClientEngineOptions} before the engine is built: a
 * TypeError for a value of the wrong type or shape, a RangeError for one out
 * of range, naming the option (`options.retry.maxAttempts`).
 */
export function checkClientEngineOptions(options: ClientEngineOptions): void {
  checkObject(options, 'options');
  checkFunction(options.send, 'options.send');
  checkOptionalFunction(options.sendv, 'options.sendv');
  checkOptionalFunction(options.random, 'options.random');
  const retry = checkNumberGroup(options.retry, 'options.retry', retryFields);
  if (typeof retry['minRtoMs'] === 'number' && typeof retry['maxRtoMs'] === 'number' && retry['minRtoMs'] > retry['maxRtoMs']) {
    throw new RangeError(`options.retry.minRtoMs (${retry['minRtoMs']}) must not be above options.retry.maxRtoMs (${retry['maxRtoMs']})`);
  }
  checkNumberGroup(options.retryBudget, 'options.retryBudget', retryBudgetFields);
  const flow = checkNumberGroup(options.flow, 'options.flow', flowFields);
  checkOptionalChoice(flow['whenFull'], 'options.flow.whenFull', ['queue', 'fail']);
  checkDatagramBytes(options.maxDatagramBytes, 'options.maxDatagramBytes');
  if (options.pmtu !== undefined) checkPathMtuOptions(options.pmtu, 'options.pmtu');
  checkOptionalNumber(options.maxMessageBytes, 'options.maxMessageBytes', { min: 1, integer: true });
  checkOptionalNumber(options.maxPeers, 'options.maxPeers', { min: 1, integer: true });
  checkOptionalNumber(options.codec, 'options.codec', { min: 0, max: 255, integer: true });
  checkOptionalNumber(options.maxMetadataBytes, 'options.maxMetadataBytes', { min: 0, integer: true });
  const hooks = checkOptionalObject(options.hooks, 'options.hooks');
  for (const hook of ['onRetry', 'onTimeout', 'onAck', 'onDrop', 'onPushback', 'onGoAway'] as const) {
    checkOptionalFunction(hooks[hook], `options.hooks.${hook}`);
  }
}
