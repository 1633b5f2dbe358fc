// Checks of configuration, shared by every package's factories (issue 13):
// a value of the wrong type or shape is a TypeError, a value of the right
// type out of its range a RangeError, both thrown when the object is built,
// and each message names the option and says what was expected. A call's
// failures are RpcErrors instead; nothing here is for call arguments.

/** How a bad value reads in a message: numbers and strings as themselves, other things by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** Bounds of a numeric option; `min`/`max` inclusive, `above` exclusive. */
export interface NumberRange {
  /** Smallest allowed value. */
  readonly min?: number;
  /** The value must be greater than this. */
  readonly above?: number;
  /** Largest allowed value. */
  readonly max?: number;
  /** Whole numbers only. */
  readonly integer?: boolean;
  /** Whether `Infinity` is allowed (a limit turned off); it then passes `integer` too. */
  readonly infinite?: boolean;
}

function rangeText(range: NumberRange): string {
  const kind = range.integer === true ? 'an integer' : 'a finite number';
  const bounds: string[] = [];
  if (range.above !== undefined) bounds.push(`> ${range.above}`);
  if (range.min !== undefined && range.min === range.max) bounds.push(`equal to ${range.min}`);
  else if (range.min !== undefined && range.max !== undefined) bounds.push(`from ${range.min} to ${range.max}`);
  else if (range.min !== undefined) bounds.push(`>= ${range.min}`);
  else if (range.max !== undefined) bounds.push(`<= ${range.max}`);
  const text = `${kind}${bounds.length === 0 ? '' : ' '}${bounds.join(' and ')}`;
  return range.infinite === true ? `${text} (or Infinity)` : text;
}

/**
 * Checks a number option: a TypeError unless it is a number, a RangeError
 * if it is NaN, infinite (unless `range.infinite`), fractional where an
 * integer is required, or outside the bounds. Returns it.
 */
export function checkNumber(value: unknown, name: string, range: NumberRange = {}): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${describeValue(value)}`);
  const infinite = value === Infinity && range.infinite === true;
  const bad =
    Number.isNaN(value) ||
    (!Number.isFinite(value) && !infinite) ||
    (range.integer === true && !infinite && !Number.isInteger(value)) ||
    (range.min !== undefined && value < range.min) ||
    (range.above !== undefined && !(value > range.above)) ||
    (range.max !== undefined && value > range.max);
  if (bad) throw new RangeError(`${name} must be ${rangeText(range)}, got ${describeValue(value)}`);
  return value;
}

/** {@link checkNumber} for an option that may be absent. */
export function checkOptionalNumber(value: unknown, name: string, range: NumberRange = {}): void {
  if (value !== undefined) checkNumber(value, name, range);
}

/** A TypeError unless `value` is a function. */
export function checkFunction(value: unknown, name: string): void {
  if (typeof value !== 'function') throw new TypeError(`${name} must be a function, got ${describeValue(value)}`);
}

/** {@link checkFunction} for an option that may be absent. */
export function checkOptionalFunction(value: unknown, name: string): void {
  if (value !== undefined) checkFunction(value, name);
}

/** A TypeError unless `value` is a boolean (when given). */
export function checkOptionalBoolean(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean, got ${describeValue(value)}`);
}

/** A TypeError unless `value` is a string; a RangeError if `nonEmpty` and it is empty. Returns it. */
export function checkString(value: unknown, name: string, nonEmpty = false): string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, got ${describeValue(value)}`);
  if (nonEmpty && value === '') throw new RangeError(`${name} must not be empty`);
  return value;
}

/** {@link checkString} for an option that may be absent. */
export function checkOptionalString(value: unknown, name: string, nonEmpty = false): void {
  if (value !== undefined) checkString(value, name, nonEmpty);
}

/** A TypeError unless `value` is a non-null object (not an array, not a function). */
export function checkObject(value: unknown, name: string): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object, got ${describeValue(value)}`);
  }
}

/** {@link checkObject} for an option that may be absent; returns it (or an empty object). */
export function checkOptionalObject(value: unknown, name: string): Record<string, unknown> {
  if (value === undefined) return {};
  checkObject(value, name);
  return value;
}

/** A TypeError unless `value` is one of `allowed` (when given): a string of the wrong spelling is the wrong shape. */
export function checkOptionalChoice(value: unknown, name: string, allowed: readonly string[]): void {
  if (value !== undefined && !allowed.includes(value as string)) {
    throw new TypeError(`${name} must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${describeValue(value)}`);
  }
}

/** A TypeError unless `value` is an array (when given) whose every element passes `each`. */
export function checkOptionalArray(value: unknown, name: string, each?: (element: unknown, name: string) => void): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) throw new TypeError(`${name} must be an array, got ${describeValue(value)}`);
  if (each !== undefined) value.forEach((element, i) => each(element, `${name}[${i}]`));
}

/** Numeric fields of an options group and their ranges: every field given is checked. */
export type NumberFields<T> = { readonly [K in keyof T]?: NumberRange };

/**
 * Checks an optional group of numeric options (`retry`, `flow`, …): a
 * TypeError unless it is an object, then each field named in `fields` with
 * {@link checkNumber}, named `${name}.${field}`. Returns the group.
 */
export function checkNumberGroup<T>(value: unknown, name: string, fields: NumberFields<T>): Record<string, unknown> {
  const group = checkOptionalObject(value, name);
  for (const [field, range] of Object.entries(fields) as [string, NumberRange][]) {
    checkOptionalNumber(group[field], `${name}.${field}`, range);
  }
  return group;
}

/** A TypeError unless `value` has a string `address` and a numeric `port`; a RangeError unless the port is an integer from 0 to 65535. */
export function checkPeerAddress(value: unknown, name: string): void {
  checkObject(value, name);
  if (typeof value['address'] !== 'string') throw new TypeError(`${name}.address must be a string, got ${describeValue(value['address'])}`);
  checkNumber(value['port'], `${name}.port`, { min: 0, max: 65_535, integer: true });
}

/** A TypeError unless `value` is a transport: an object with `listen`, `send` and `close` functions. */
export function checkTransport(value: unknown, name: string): void {
  checkObject(value, name);
  for (const method of ['listen', 'send', 'close']) checkFunction(value[method], `${name}.${method}`);
}

/** A TypeError unless `value` is a clock: an object with `now` and `setTimer` functions. */
export function checkClock(value: unknown, name: string): void {
  checkObject(value, name);
  checkFunction(value['now'], `${name}.now`);
  checkFunction(value['setTimer'], `${name}.setTimer`);
}

/** {@link checkClock} for an option that may be absent. */
export function checkOptionalClock(value: unknown, name: string): void {
  if (value !== undefined) checkClock(value, name);
}
