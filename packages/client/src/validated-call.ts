// Client-side checks against a method's schemas. The input is validated
// before anything is sent, with the error the server would give
// (INVALID_ARGUMENT, `details.issues`), but the ORIGINAL value is sent: the
// server validates again and applies any transform itself, so a transforming
// schema is never applied twice.
import { RpcError, type StandardSchemaV1 } from '@udprpc/core';
import { invalidArgument, isPromiseLike, issuesOf, type AnySchema } from '@udprpc/core/contract';
import type { CallOptions } from './stub.js';

type CallFn = (input?: unknown, options?: CallOptions) => Promise<unknown>;
type NotifyFn = (input?: unknown) => Promise<void>;

/**
 * A stub method's call and notify, wrapped in the checks its schemas ask
 * for: `input` before sending (both), `output` on the reply (call). Without
 * schemas they come back as they are, so a method without schemas pays
 * nothing.
 */
export function schemaChecked(
  path: string,
  input: AnySchema | undefined,
  output: AnySchema | undefined,
  call: CallFn,
  notify: NotifyFn,
): { call: CallFn; notify: NotifyFn } {
  if (output !== undefined) {
    const unchecked = call;
    call = (value, options) => checkReply(output, path, unchecked(value, options));
  }
  if (input !== undefined) {
    const [uncheckedCall, uncheckedNotify, what] = [call, notify, `the argument of ${path}`];
    call = (value, options) => sendChecked(input, what, value, () => uncheckedCall(value, options));
    notify = (value) => sendChecked(input, what, value, () => uncheckedNotify(value));
  }
  return { call, notify };
}

/**
 * Runs `send` once `input` passes `schema`; rejects with INVALID_ARGUMENT
 * (remote: false) and sends nothing when it does not. A synchronous schema
 * adds no Promise.
 */
export function sendChecked<T>(schema: AnySchema, what: string, input: unknown, send: () => Promise<T>): Promise<T> {
  let result: StandardSchemaV1.Result<unknown> | Promise<StandardSchemaV1.Result<unknown>>;
  try {
    result = schema['~standard'].validate(input);
  } catch (error) {
    return Promise.reject(RpcError.from(error, 'INVALID_ARGUMENT'));
  }
  if (isPromiseLike(result)) {
    return result.then((settled) => {
      if (settled.issues) throw invalidArgument(settled.issues, what);
      return send();
    });
  }
  return result.issues ? Promise.reject(invalidArgument(result.issues, what)) : send();
}

/**
 * Validates a reply against the output schema (the `validateOutput` client
 * option): a reply that does not match rejects with INTERNAL and
 * `details.issues`. Meant for schemas without transforms: the server already
 * sent the schema's output, which is validated again here.
 */
export function checkReply(schema: AnySchema, what: string, reply: Promise<unknown>): Promise<unknown> {
  const checked = (result: StandardSchemaV1.Result<unknown>): unknown => {
    if (!result.issues) return result.value;
    const issues = issuesOf(result.issues);
    throw new RpcError('INTERNAL', `the reply of ${what} does not match its output schema: ${issues[0]?.message ?? 'rejected'}`, {
      details: { issues },
    });
  };
  return reply.then((value) => {
    const result = schema['~standard'].validate(value);
    return isPromiseLike(result) ? result.then(checked) : checked(result);
  });
}

/** A group call whose argument is validated first: an invalid one throws INVALID_ARGUMENT from the iteration and sends nothing. */
export function checkedGroupCall<T>(schema: AnySchema, what: string, input: unknown, start: () => AsyncIterable<T>): AsyncIterable<T> {
  return {
    async *[Symbol.asyncIterator]() {
      const result = await schema['~standard'].validate(input);
      if (result.issues) throw invalidArgument(result.issues, what);
      yield* start();
    },
  };
}
