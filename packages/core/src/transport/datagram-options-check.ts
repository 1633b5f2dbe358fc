import { FRAGMENT_EXT_BYTES } from '../wire/frame.js';
import { HEADER_BYTES } from '../wire/frame-header.js';
import { checkFunction, checkNumber, checkObject, checkOptionalArray, checkOptionalNumber } from '../options-check.js';

/** The smallest datagram an engine can work with: a fragment header and one body byte. */
export const MIN_DATAGRAM_BYTES = HEADER_BYTES + FRAGMENT_EXT_BYTES + 1;
/** The largest UDP payload over IPv6 without jumbograms (65 535 − 8); IPv4's is 65 507. */
export const MAX_DATAGRAM_BYTES = 65_527;
/** The smallest path MTU probed (RFC 8899's BASE_PLPMTU, as QUIC assumes: protocol.md §7.5, §9). */
export const MIN_PROBE_BYTES = 1200;

/** Checks an engine's `maxDatagramBytes` (when given): an integer from {@link MIN_DATAGRAM_BYTES} to {@link MAX_DATAGRAM_BYTES}. */
export function checkDatagramBytes(value: unknown, name: string): void {
  checkOptionalNumber(value, name, { min: MIN_DATAGRAM_BYTES, max: MAX_DATAGRAM_BYTES, integer: true });
}

/**
 * Checks path MTU discovery options (protocol.md §7.5): the per-peer limit
 * is a function; probe sizes, when given, rise strictly from 1200 bytes
 * (a smaller path is below the floor every path carries) to 65 527; the
 * raise interval is a positive number of ms.
 */
export function checkPathMtuOptions(value: unknown, name: string): void {
  checkObject(value, name);
  checkFunction(value['maxDatagramBytesFor'], `${name}.maxDatagramBytesFor`);
  let previous = MIN_PROBE_BYTES - 1;
  checkOptionalArray(value['probeSizes'], `${name}.probeSizes`, (size, at) => {
    checkNumber(size, at, { min: previous + 1, max: MAX_DATAGRAM_BYTES, integer: true });
    previous = size as number;
  });
  checkOptionalNumber(value['raiseIntervalMs'], `${name}.raiseIntervalMs`, { above: 0 });
}
