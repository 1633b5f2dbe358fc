import { type StandardSchemaV1, type ValidationIssue } from '@udprpc/core';
import { invalidArgument, isPromiseLike, issuesOf, type AnySchema } from '@udprpc/core/contract';
import { LazyCallContext } from './call-context.js';
import type { CallContext, Handler } from './context.js';

/**
 * A handler's result failed the method's output schema. A plain Error, not
 * an RpcError: the peer sees only INTERNAL, and the server's operator gets
 * it as an `error` event (with the issues), because it is a server bug.
 */
export class OutputValidationError extends Error {
  /** `'OutputValidationError'`. */
  override readonly name = 'OutputValidationError';
  /** The method whose handler returned the invalid result, as `service.method`. */
  readonly method: string;
  /** What the output schema rejected, as {@link ValidationIssue}s. */
  readonly issues: readonly ValidationIssue[];

  constructor(method: string, issues: readonly ValidationIssue[]) {
    const first = issues[0];
    const where = first === undefined || first.path.length === 0 ? '' : ` at ${first.path.join('.')}`;
    super(`${method}: the handler's result does not match the output schema${where}: ${first?.message ?? 'rejected'}`);
    this.method = method;
    this.issues = issues;
  }
}

/**
 * Wraps `handler` in the method's schemas: the input is validated (and
 * transformed) before the handler runs, and a failure is INVALID_ARGUMENT
 * with `details.issues`, the handler not called; the result is validated
 * before it is sent. With synchronous schemas and a synchronous handler the
 * wrapper stays synchronous: no Promise is made per call. A method without
 * schemas gets the handler itself back.
 */
export function validatedHandler(
  method: string,
  handler: Handler<unknown, unknown>,
  input: AnySchema | undefined,
  output: AnySchema | undefined,
): Handler<unknown, unknown> {
  if (input === undefined && output === undefined) return handler;
  const checked = (result: StandardSchemaV1.Result<unknown>): unknown => {
    if (result.issues) throw new OutputValidationError(method, issuesOf(result.issues));
    return result.value;
  };
  const checkOutput = (value: unknown): unknown => {
    const result = output!['~standard'].validate(value);
    return isPromiseLike(result) ? result.then(checked) : checked(result);
  };
  const run: Handler<unknown, unknown> =
    output === undefined
      ? handler
      : (value, ctx) => {
          const result = handler(value, ctx);
          return isPromiseLike(result) ? Promise.resolve(result).then(checkOutput) : checkOutput(result);
        };
  if (input === undefined) return run;
  const what = `the argument of ${method}`;
  const afterInput = (result: StandardSchemaV1.Result<unknown>, ctx: CallContext): unknown => {
    if (result.issues) throw invalidArgument(result.issues, what);
    return run(result.value, ctx);
  };
  return (value, ctx) => {
    const result = input['~standard'].validate(value);
    if (!isPromiseLike(result)) return afterInput(result, ctx);
    return result.then((settled) => {
      // The caller may have given up while an async validator ran: the
      // handler must not start for a call nobody waits for.
      const reason = abortReasonOf(ctx);
      if (reason !== undefined) throw reason;
      return afterInput(settled, ctx);
    });
  };
}

function abortReasonOf(ctx: CallContext): unknown {
  if (ctx instanceof LazyCallContext) return ctx.abortReason;
  return ctx.signal.aborted ? (ctx.signal.reason as unknown) : undefined;
}
