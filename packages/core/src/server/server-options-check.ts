import type { AdmissionLimits } from '../flowcontrol/admission-queue.js';
import {
  checkFunction,
  checkNumberGroup,
  checkObject,
  checkOptionalFunction,
  checkOptionalNumber,
  type NumberFields,
} from '../options-check.js';
import type { ReassemblyLimits } from '../recovery/reassembly-limits.js';
import type { DedupPolicy } from '../recovery/retry-policy.js';
import { checkDatagramBytes } from '../transport/datagram-options-check.js';
import type { MethodTarget, ServerEngineOptions } from './server-engine-types.js';
import type { SourceLimits } from './source-limits.js';

// Ranges of the server engine's options: what the engine can work with.
// Byte and count caps may be Infinity (no cap) where the code allows it.

const dedupFields: NumberFields<DedupPolicy> = {
  graceMs: { min: 0 },
  maxBytes: { min: 0, integer: true, infinite: true },
  maxDeadlineMs: { above: 0 },
};

const reassemblyFields: NumberFields<ReassemblyLimits> = {
  maxMessageBytes: { min: 1, integer: true },
  maxPeerBytes: { min: 0, integer: true, infinite: true },
  maxPeerMessages: { min: 0, integer: true, infinite: true },
  maxTotalBytes: { min: 0, integer: true, infinite: true },
  idleTimeoutMs: { above: 0 },
};

const admissionFields: NumberFields<AdmissionLimits> = {
  maxRunning: { min: 1, integer: true },
  maxQueued: { min: 0, integer: true },
  retryAfterMs: { min: 0 },
  overrunGraceMs: { min: 0 },
};

const sourceFields: NumberFields<SourceLimits> = {
  ratePerSecond: { above: 0, infinite: true },
  rateBurst: { min: 0, infinite: true },
  amplificationFactor: { min: 1, infinite: true },
  maxSources: { min: 1, integer: true },
  maxStateBytes: { min: 0, integer: true, infinite: true },
  validationLifetimeMs: { above: 0 },
};

/**
 * Checks a {@link ServerEngineOptions} before the engine is built: a
 * TypeError for a value of the wrong type or shape, a RangeError for one out
 * of range, naming the option (`options.admission.maxRunning`).
 */
export function checkServerEngineOptions<T extends MethodTarget>(options: ServerEngineOptions<T>): void {
  checkObject(options, 'options');
  checkFunction(options.send, 'options.send');
  checkOptionalFunction(options.sendv, 'options.sendv');
  checkObject(options.hooks, 'options.hooks');
  checkFunction(options.hooks.onCall, 'options.hooks.onCall');
  for (const hook of ['onAbort', 'resolve', 'onDrop', 'onDrained'] as const) checkOptionalFunction(options.hooks[hook], `options.hooks.${hook}`);
  checkNumberGroup(options.dedup, 'options.dedup', dedupFields);
  checkDatagramBytes(options.maxDatagramBytes, 'options.maxDatagramBytes');
  if (options.pmtu !== undefined) {
    checkObject(options.pmtu, 'options.pmtu');
    checkFunction(options.pmtu.maxDatagramBytesFor, 'options.pmtu.maxDatagramBytesFor');
  }
  checkNumberGroup(options.reassembly, 'options.reassembly', reassemblyFields);
  checkNumberGroup(options.admission, 'options.admission', admissionFields);
  checkNumberGroup(options.sources, 'options.sources', sourceFields);
  if (options.validator !== undefined) {
    checkObject(options.validator, 'options.validator');
    checkFunction(options.validator.mint, 'options.validator.mint');
    checkFunction(options.validator.verify, 'options.validator.verify');
  }
  checkOptionalFunction(options.random, 'options.random');
  checkOptionalNumber(options.startedAt, 'options.startedAt');
  checkOptionalNumber(options.startupGraceMs, 'options.startupGraceMs', { min: 0 });
  checkOptionalNumber(options.maxMetadataBytes, 'options.maxMetadataBytes', { min: 0, integer: true });
}
