import { RpcError, type Codec } from '@udprpc/core';
import { type CallOutcome } from '@udprpc/core/engine';

/** Encodes a call's input; a codec failure is INVALID_ARGUMENT. */
export function encodeInput(codec: Codec, input: unknown): Uint8Array {
  try {
    return codec.encode(input);
  } catch (e) {
    throw new RpcError('INVALID_ARGUMENT', `could not encode the request: ${(e as Error).message}`, { cause: e });
  }
}

/** The error of a failed outcome, with its details decoded by `codec` (if any). */
export function errorWithDetails(codec: Codec, outcome: Extract<CallOutcome, { ok: false }>): RpcError {
  const e = outcome.error;
  if (outcome.detailsBytes === undefined || outcome.detailsBytes.length === 0) return e;
  const details = codec.decode(outcome.detailsBytes);
  return new RpcError(e.code, e.message, {
    remote: e.remote,
    details: details.ok ? details.value : undefined,
    ...(e.retryAfterMs === undefined ? {} : { retryAfterMs: e.retryAfterMs }),
    ...(e.mayHaveRun ? { mayHaveRun: true } : {}),
  });
}

/** Settles a call's promise from the engine's outcome: the decoded result, or an RpcError. */
export function settleOutcome(codec: Codec, outcome: CallOutcome, resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
  if (!outcome.ok) return reject(errorWithDetails(codec, outcome));
  const decoded = codec.decode(outcome.payload);
  if (decoded.ok) resolve(decoded.value);
  else reject(new RpcError('INTERNAL', `could not decode the reply: ${decoded.error.message}`, { cause: decoded.error }));
}

/** The error a call rejects with when its signal aborts (a TimeoutError reason is DEADLINE_EXCEEDED). */
export function abortError(signal: AbortSignal): RpcError {
  return RpcError.from(signal.reason ?? new Error('call aborted'), 'CANCELLED');
}
