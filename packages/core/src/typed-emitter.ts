// The `TypedEventEmitter` interface of typed-emitter 2.1.0
// (https://github.com/andywer/typed-emitter), vendored because the package
// declares rxjs as an optional dependency, so `npm install udprpc` fetched
// ~12 MB of rxjs for a type-only import. test/publish/typed-emitter.test.ts
// checks this copy against the original (a root devDependency).
//
// The MIT License (MIT)
//
// Copyright (c) 2018 Andy Wermke
//
// Permission is hereby granted, free of charge, to any person obtaining a copy
// of this software and associated documentation files (the "Software"), to deal
// in the Software without restriction, including without limitation the rights
// to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
// copies of the Software, and to permit persons to whom the Software is
// furnished to do so, subject to the following conditions:
//
// The above copyright notice and this permission notice shall be included in
// all copies or substantial portions of the Software.
//
// THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
// IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
// FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
// AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
// LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
// OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
// THE SOFTWARE.

/** Event names mapped to their listener signatures. */
export type EventMap = {
  /** The listener of the event `key`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- listener parameters are whatever each event declares
  [key: string]: (...args: any[]) => void;
};

/**
 * The `node:events` `EventEmitter` API, typed by an {@link EventMap}: `on`,
 * `once`, `off` and `emit` accept only the declared event names and
 * listener signatures. (From typed-emitter 2.1.0, MIT, Andy Wermke.)
 */
export interface TypedEventEmitter<Events extends EventMap> {
  /** Adds `listener` for `event` (same as {@link TypedEventEmitter.on}). */
  addListener<E extends keyof Events>(event: E, listener: Events[E]): this;
  /** Adds `listener` for `event`. */
  on<E extends keyof Events>(event: E, listener: Events[E]): this;
  /** Adds `listener` for the next `event` only. */
  once<E extends keyof Events>(event: E, listener: Events[E]): this;
  /** Adds `listener` for `event`, before the others. */
  prependListener<E extends keyof Events>(event: E, listener: Events[E]): this;
  /** Adds `listener` for the next `event` only, before the others. */
  prependOnceListener<E extends keyof Events>(event: E, listener: Events[E]): this;

  /** Removes `listener` for `event`. */
  off<E extends keyof Events>(event: E, listener: Events[E]): this;
  /** Removes every listener, or every listener of `event`. */
  removeAllListeners<E extends keyof Events>(event?: E): this;
  /** Removes `listener` for `event` (same as {@link TypedEventEmitter.off}). */
  removeListener<E extends keyof Events>(event: E, listener: Events[E]): this;

  /** Calls the listeners of `event` with `args`; true if there were any. */
  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): boolean;
  /** The events that have listeners (loosely typed, as in `node:events`). */
  eventNames(): (keyof Events | string | symbol)[];
  /** The listeners of `event`, including `once` wrappers. */
  rawListeners<E extends keyof Events>(event: E): Events[E][];
  /** The listeners of `event`. */
  listeners<E extends keyof Events>(event: E): Events[E][];
  /** How many listeners `event` has. */
  listenerCount<E extends keyof Events>(event: E): number;

  /** The listener count above which Node.js warns of a leak. */
  getMaxListeners(): number;
  /** Sets the listener count above which Node.js warns of a leak. */
  setMaxListeners(maxListeners: number): this;
}
