import type { TextMapGetter, TextMapSetter } from '@opentelemetry/api';

// W3C trace context travels in call metadata (`traceparent`, `tracestate`):
// the client's `udprpc:client:call` start message carries the request's
// metadata as a mutable record, which the client encodes after `start`; the
// server's start message carries the received metadata (`Metadata`, read
// with `.get(key)`). Typed structurally, so this package needs no import of
// @udprpc/core.

/** The request metadata on a client call's start message. */
export type OutgoingMetadata = Record<string, string | Uint8Array>;

/** The received metadata on a server call's start message (what it uses of `Metadata`). */
export interface IncomingMetadata {
  get(key: string): string | Uint8Array | undefined;
  keys(): Iterable<string>;
}

export const metadataSetter: TextMapSetter<OutgoingMetadata> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};

const utf8 = new TextDecoder('utf-8', { fatal: false });

export const metadataGetter: TextMapGetter<IncomingMetadata> = {
  get(carrier, key) {
    const value = carrier.get(key);
    return value === undefined || typeof value === 'string' ? value : utf8.decode(value);
  },
  keys(carrier) {
    return [...carrier.keys()];
  },
};
