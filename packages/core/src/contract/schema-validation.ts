// Running a method's Standard Schema and turning its issues into the one
// error shape both sides use: INVALID_ARGUMENT with `details.issues`, each a
// plain `{ path, message }` that every codec can carry.
import { RpcError } from '../errors.js';
import type { StandardSchemaV1 } from './standard-schema.js';

/** One validation problem, as it travels in `details.issues`. */
export interface ValidationIssue {
  /** Keys from the root of the value to the offending part; empty for the value itself. */
  readonly path: ReadonlyArray<string | number>;
  /** The schema library's message for the problem. */
  readonly message: string;
}

/** The `details` of an INVALID_ARGUMENT raised by a schema. */
export interface ValidationDetails {
  /** Every problem the schema found, in the order it reported them. */
  readonly issues: readonly ValidationIssue[];
}

/**
 * Runs `schema` on `value`. Returns the library's result as is: synchronously
 * when the schema is synchronous (no Promise is made on that path), or a
 * promise when the schema is asynchronous.
 */
export function validateWith(
  schema: StandardSchemaV1,
  value: unknown,
): StandardSchemaV1.Result<unknown> | Promise<StandardSchemaV1.Result<unknown>> {
  return schema['~standard'].validate(value);
}

/** A Standard Schema's issues as {@link ValidationIssue}s: path segments flattened to keys, symbols to their description. */
export function issuesOf(issues: ReadonlyArray<StandardSchemaV1.Issue>): ValidationIssue[] {
  return issues.map((issue) => ({
    path: (issue.path ?? []).map((segment) => keyOf(typeof segment === 'object' && segment !== null ? segment.key : segment)),
    message: String(issue.message),
  }));
}

function keyOf(key: PropertyKey): string | number {
  if (typeof key === 'symbol') return key.description ?? key.toString();
  return key;
}

/** The INVALID_ARGUMENT error for failed input validation, with `details.issues`. */
export function invalidArgument(issues: ReadonlyArray<StandardSchemaV1.Issue>, what: string): RpcError {
  const list = issuesOf(issues);
  const first = list[0];
  const where = first === undefined || first.path.length === 0 ? '' : ` at ${first.path.join('.')}`;
  const more = list.length > 1 ? ` (and ${list.length - 1} more)` : '';
  const details: ValidationDetails = { issues: list };
  return new RpcError('INVALID_ARGUMENT', `${what} is invalid${where}: ${first?.message ?? 'rejected by the schema'}${more}`, { details });
}

/** Whether `value` is a promise or another thenable. */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
