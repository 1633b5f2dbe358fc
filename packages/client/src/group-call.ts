import { RpcError, type Clock, type Codec, type PeerAddress } from '@udprpc/core';
import { type ClientEngine, type TimerDriver } from '@udprpc/core/engine';
import { abortError, encodeInput, errorWithDetails } from './codec-outcome.js';
import { ReplyStream, type GroupCallOptions, type GroupReply } from './group.js';

/** What a group call needs from its client. */
export interface GroupCallContext {
  readonly engine: ClientEngine;
  readonly clock: Clock;
  readonly codec: Codec;
  readonly timer: TimerDriver;
  /** Connects if needed and returns the group's address; throws if the client is closed. */
  target(): Promise<PeerAddress>;
}

/**
 * Sends one request to a group address (multicast or broadcast) and streams
 * every server's reply until `collectMs` or `maxReplies`.
 */
export function startGroupCall(
  ctx: GroupCallContext,
  wire: Uint8Array,
  input: unknown,
  options: GroupCallOptions | undefined,
): ReplyStream<GroupReply<unknown>> {
  const stream = new ReplyStream<GroupReply<unknown>>();
  const deadline = ctx.clock.now() + (options?.collectMs ?? 1000);
  const start = async (): Promise<void> => {
    const peer = await ctx.target();
    const signal = options?.signal;
    if (signal?.aborted) throw abortError(signal);
    const payload = encodeInput(ctx.codec, input);
    const id = ctx.engine.call(
      { peer, method: wire, payload, deadlineAt: deadline },
      ctx.clock.now(),
      (outcome) => {
        signal?.removeEventListener('abort', onAbort);
        if (outcome.ok) stream.end();
        else if (outcome.error.code === 'CANCELLED') stream.end();
        else stream.end(outcome.error);
      },
      {
        maxReplies: options?.maxReplies ?? 256,
        onReply: (from, outcome) => {
          if (!outcome.ok) return stream.push({ peer: from, ok: false, error: errorWithDetails(ctx.codec, outcome) });
          const decoded = ctx.codec.decode(outcome.payload);
          if (decoded.ok) stream.push({ peer: from, ok: true, result: decoded.value });
          else stream.push({ peer: from, ok: false, error: new RpcError('INTERNAL', `could not decode the reply: ${decoded.error.message}`) });
        },
      },
    );
    if (typeof id !== 'number') throw id;
    const onAbort = (): void => ctx.engine.cancel(id, ctx.clock.now());
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.onReturn = onAbort;
    ctx.timer.update();
  };
  start().catch((error: unknown) => stream.end(RpcError.from(error)));
  return stream;
}
