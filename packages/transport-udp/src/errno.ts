import { RpcError, type ErrorCode } from '@udprpc/core';

// The one place where Node's errno strings become RpcError codes (CONVENTIONS
// §1; connect-es does the same in `connect-node/src/node-error.ts`). Nothing
// outside this package ever sees an errno string except as `cause`/`details`.

/**
 * errno (or Node `ERR_*`) code → RpcError code, with a human phrase for the
 * message. Codes not listed here map to `UNKNOWN`.
 */
const table: Readonly<Record<string, readonly [ErrorCode, string]>> = {
  // Binding: the address or port cannot be had right now. Retrying later (or
  // on another port) may work, which is what UNAVAILABLE promises.
  EADDRINUSE: ['UNAVAILABLE', 'address already in use'],
  EADDRNOTAVAIL: ['UNAVAILABLE', 'address not available on this host'],
  EAFNOSUPPORT: ['UNAVAILABLE', 'address family not supported on this host'],
  EPROTONOSUPPORT: ['UNAVAILABLE', 'protocol not supported on this host'],
  ENODEV: ['UNAVAILABLE', 'no such network device'],
  // Privileged ports, broadcast without SO_BROADCAST, firewall rules. gRPC's
  // PERMISSION_DENIED ("the caller may not do this") fits better than
  // UNAVAILABLE, which would invite a pointless retry.
  EACCES: ['PERMISSION_DENIED', 'permission denied'],
  EPERM: ['PERMISSION_DENIED', 'operation not permitted'],
  // Bad input: retrying the same call cannot succeed.
  EINVAL: ['INVALID_ARGUMENT', 'invalid argument'],
  ENOTFOUND: ['INVALID_ARGUMENT', 'host not found'],
  EAI_NONAME: ['INVALID_ARGUMENT', 'host not found'],
  EAI_FAMILY: ['INVALID_ARGUMENT', 'address family does not match the socket'],
  ERR_INVALID_ARG_TYPE: ['INVALID_ARGUMENT', 'invalid argument type'],
  ERR_INVALID_ARG_VALUE: ['INVALID_ARGUMENT', 'invalid argument value'],
  ERR_OUT_OF_RANGE: ['INVALID_ARGUMENT', 'argument out of range'],
  ERR_SOCKET_BAD_PORT: ['INVALID_ARGUMENT', 'invalid port'],
  ERR_SOCKET_BAD_TYPE: ['INVALID_ARGUMENT', 'invalid socket type'],
  ERR_SOCKET_BUFFER_SIZE: ['INVALID_ARGUMENT', 'could not set the socket buffer size'],
  // Sending: the datagram itself or local resources.
  EMSGSIZE: ['RESOURCE_EXHAUSTED', 'datagram too large'],
  ENOBUFS: ['RESOURCE_EXHAUSTED', 'no buffer space available'],
  ENOMEM: ['RESOURCE_EXHAUSTED', 'out of memory'],
  EMFILE: ['RESOURCE_EXHAUSTED', 'too many open files'],
  ENFILE: ['RESOURCE_EXHAUSTED', 'too many open files in the system'],
  // The network or peer: transient by nature.
  ENETUNREACH: ['UNAVAILABLE', 'network unreachable'],
  EHOSTUNREACH: ['UNAVAILABLE', 'host unreachable'],
  ENETDOWN: ['UNAVAILABLE', 'network is down'],
  EHOSTDOWN: ['UNAVAILABLE', 'host is down'],
  ECONNREFUSED: ['UNAVAILABLE', 'connection refused (ICMP port unreachable)'],
  ECONNRESET: ['UNAVAILABLE', 'connection reset (ICMP port unreachable)'],
  EAI_AGAIN: ['UNAVAILABLE', 'temporary name resolution failure'],
  EAGAIN: ['UNAVAILABLE', 'resource temporarily unavailable'],
  // The socket is not in a usable state.
  EBADF: ['FAILED_PRECONDITION', 'socket is not open'],
  ENOTSOCK: ['FAILED_PRECONDITION', 'not a socket'],
  ERR_SOCKET_DGRAM_NOT_RUNNING: ['FAILED_PRECONDITION', 'socket is not running'],
  ERR_SOCKET_ALREADY_BOUND: ['FAILED_PRECONDITION', 'socket is already bound'],
  ERR_SOCKET_DGRAM_NOT_CONNECTED: ['FAILED_PRECONDITION', 'socket is not connected'],
  ECANCELED: ['CANCELLED', 'operation cancelled'],
};

/**
 * errno codes that an unconnected UDP socket may report because an earlier
 * datagram drew an ICMP "port unreachable" (Linux with IP_RECVERR, Windows
 * `WSAECONNRESET` on receive). They say nothing about the current send, so the
 * transport counts and ignores them.
 */
export const icmpErrnos: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET']);

/** The errno / Node error code carried by `e` (`'EADDRINUSE'`, `'ERR_SOCKET_BAD_PORT'`), if any. */
export function errnoOf(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'string') return undefined;
  // Node's SystemErrors such as ERR_SOCKET_BUFFER_SIZE carry the OS errno in `info.code`.
  if (code.startsWith('ERR_')) {
    const info = (e as { info?: { code?: unknown } }).info;
    if (typeof info?.code === 'string' && Object.hasOwn(table, info.code)) return info.code;
  }
  return code;
}

/** The RpcError code for an errno / Node error code; `UNKNOWN` for codes not in the table. */
export function codeFromErrno(errno: string | undefined): ErrorCode {
  return errno === undefined ? 'UNKNOWN' : (table[errno]?.[0] ?? 'UNKNOWN');
}

/**
 * Turns an error from `node:dgram` (or anything thrown near it) into an
 * {@link RpcError}: the code comes from the errno (see the table in this file),
 * the message names what was attempted (`context`, e.g. `bind 127.0.0.1:4000`)
 * and why, the original error is kept as `cause`, and `details` carries
 * `{ errno, syscall }`. Errors without any code become `INTERNAL`, unknown
 * codes `UNKNOWN`. RpcErrors pass through unchanged.
 *
 * @example
 * rpcErrorFromErrno(eaddrinuse, 'bind 127.0.0.1:4000')
 * // RpcError UNAVAILABLE: "bind 127.0.0.1:4000 failed: address already in use (EADDRINUSE)"
 */
export function rpcErrorFromErrno(e: unknown, context: string): RpcError {
  if (RpcError.is(e)) return e;
  const errno = errnoOf(e);
  const entry = errno === undefined ? undefined : table[errno];
  // No errno at all means a bug rather than an OS refusal.
  const code: ErrorCode = entry?.[0] ?? (errno === undefined ? 'INTERNAL' : 'UNKNOWN');
  const reason = entry?.[1] ?? (e instanceof Error ? e.message : String(e));
  const message = `${context} failed: ${reason}${errno === undefined ? '' : ` (${errno})`}`;
  const syscall = typeof e === 'object' && e !== null ? (e as { syscall?: unknown }).syscall : undefined;
  return new RpcError(code, message, {
    cause: e,
    details: { errno: errno ?? null, syscall: typeof syscall === 'string' ? syscall : null },
  });
}
