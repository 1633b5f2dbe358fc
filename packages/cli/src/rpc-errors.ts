import { RpcError } from 'udprpc';
import { exitCodeForRpcError } from './exit-codes.js';
import type { CliIo } from './io.js';
import { formatJson } from './json-output.js';

/**
 * Prints a failed call as `CODE: message` on stderr, then its details as JSON
 * when it has some, and returns the exit code for its code. Anything that is
 * not an RpcError is rethrown.
 */
export function reportRpcError(error: unknown, io: CliIo, prefix = ''): number {
  if (!RpcError.is(error)) throw error;
  io.stderr(`${prefix}${error.code}: ${error.message}\n`);
  if (error.details !== undefined) io.stderr(formatJson(error.details));
  return exitCodeForRpcError(error.code);
}
