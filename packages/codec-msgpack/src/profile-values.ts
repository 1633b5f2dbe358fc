import { MAX_NESTING } from './token-scan.js';

// What the encoder lets msgpackr see: values the udprpc MessagePack profile
// (protocol.md §5.7.1) can carry. msgpackr alone would write a Set, Error or
// RegExp as an array, an ArrayBuffer as bin, other typed arrays element by
// element into a byte buffer (wrong values, stale bytes), lone surrogates as
// invalid UTF-8, and overflow its stack on deep or cyclic values. This walk
// refuses the first kinds with a TypeError naming the type, replaces lone
// surrogates by U+FFFD (as TextEncoder and the JSON codec do), and bounds the
// nesting. It copies a container only when something inside it changed.

// ES2024 string methods (Node 20+); the project's lib is ES2023.
interface WellFormedString {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/** `s`, with every lone surrogate replaced by U+FFFD: str values must be valid UTF-8. */
function wellFormed(s: string): string {
  const w = s as unknown as WellFormedString;
  return w.isWellFormed() ? s : w.toWellFormed();
}

/** Why `value` is outside the profile (protocol.md §5.7.1), if it is: such values are refused rather than reshaped. */
function refusedKind(value: object): string | undefined {
  if (value instanceof Set) return 'a Set cannot be encoded (send an array: [...set])';
  if (value instanceof Error) return 'an Error cannot be encoded (send its fields, or throw an RpcError with details)';
  if (value instanceof RegExp) return 'a RegExp cannot be encoded (send its source and flags)';
  if (value instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && value instanceof SharedArrayBuffer)) {
    return 'an ArrayBuffer cannot be encoded (send a Uint8Array view of it)';
  }
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} cannot be encoded (only Uint8Array and Buffer are, as bin: send new Uint8Array(x.buffer, x.byteOffset, x.byteLength))`;
  return undefined;
}

// Bytes of the Uint8Array values the last walk met (see binaryBytesOfLastWalk).
let binaryBytes = 0;

/**
 * Bytes of the `Uint8Array` values in the value {@link profileValue} last
 * walked: a lower bound of its encoded size, known before msgpackr starts.
 */
export function binaryBytesOfLastWalk(): number {
  return binaryBytes;
}

/**
 * Returns `value`, or a copy of it with lone surrogates replaced, ready for
 * msgpackr. Throws a TypeError for a value outside the profile: a function,
 * a symbol, a Set, Error, RegExp, ArrayBuffer or typed array other than
 * Uint8Array, or containers nested deeper than {@link MAX_NESTING} (which
 * includes every cyclic value).
 */
export function profileValue(value: unknown, depth = 0): unknown {
  if (depth === 0) binaryBytes = 0;
  switch (typeof value) {
    case 'object':
      return value === null ? value : profileObjectLike(value, depth);
    case 'string':
      return wellFormed(value);
    case 'symbol':
      throw new TypeError('a symbol cannot be encoded');
    case 'function':
      throw new TypeError('a function cannot be encoded');
    default:
      return value; // number, boolean, bigint, undefined
  }
}

// Numbers, booleans and undefined need no look: skip the call for them.
function child(x: unknown, depth: number): unknown {
  return typeof x === 'number' || typeof x === 'boolean' || x === undefined ? x : profileValue(x, depth);
}

function profileObjectLike(object: object, depth: number): unknown {
  if (Array.isArray(object)) return enter(depth) && profileArray(object as unknown[], depth + 1);
  const proto: unknown = Object.getPrototypeOf(object);
  if (proto === Object.prototype || proto === null) return enter(depth) && profileObject(object as Record<string, unknown>, depth + 1);
  if (object instanceof Uint8Array) {
    binaryBytes += object.byteLength;
    return object;
  }
  if (object instanceof Date) return object;
  if (object instanceof Map) return enter(depth) && profileMap(object as Map<unknown, unknown>, depth + 1);
  const refused = refusedKind(object);
  if (refused !== undefined) throw new TypeError(refused);
  // As msgpackr does: a class instance with toJSON is sent as what toJSON returns.
  const toJSON = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    const json: unknown = toJSON.call(object);
    if (json !== object) return profileValue(json, depth);
  }
  return enter(depth) && profileObject(object as Record<string, unknown>, depth + 1);
}

/** A value nested deeper than the profile allows, or cyclic (the encoder tells which). */
export class NestingTooDeep extends TypeError {
  constructor() {
    super(`it nests arrays and maps more than ${MAX_NESTING} levels deep`);
  }
}

// One more level of arrays and maps: refused beyond MAX_NESTING (and so every cycle).
function enter(depth: number): true {
  if (depth >= MAX_NESTING) throw new NestingTooDeep();
  return true;
}

function profileArray(array: unknown[], depth: number): unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < array.length; i++) {
    const x = array[i];
    const y = child(x, depth);
    if (y !== x) (out ??= array.slice())[i] = y;
  }
  return out ?? array;
}

function profileMap(map: Map<unknown, unknown>, depth: number): Map<unknown, unknown> {
  let changed = false;
  for (const [k, x] of map) {
    if (child(k, depth) !== k || child(x, depth) !== x) {
      changed = true;
      break;
    }
  }
  if (!changed) return map;
  // Rare (a lone surrogate somewhere): build the copy in a second pass.
  const out = new Map<unknown, unknown>();
  for (const [k, x] of map) out.set(child(k, depth), child(x, depth));
  return out;
}

// Own enumerable string keys, as msgpackr writes them.
function profileObject(object: Record<string, unknown>, depth: number): Record<string, unknown> {
  let changed = false;
  for (const key in object) {
    if (!Object.hasOwn(object, key)) continue;
    const x = object[key];
    if (child(x, depth) !== x || wellFormed(key) !== key) {
      changed = true;
      break;
    }
  }
  if (!changed) return object;
  // Rare (a lone surrogate somewhere): build the copy in a second pass,
  // without a prototype, so that an own "__proto__" key stays a key.
  const out = Object.create(null) as Record<string, unknown>;
  for (const key in object) if (Object.hasOwn(object, key)) out[wellFormed(key)] = child(object[key], depth);
  return out;
}
