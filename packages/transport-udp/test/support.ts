import { afterEach } from 'vitest';
import type { PeerAddress } from '@udprpc/core';
import { createUdpTransport, type UdpTransport, type UdpTransportOptions } from '@udprpc/transport-udp';

/** One received datagram, copied so later reuse of Node's buffer cannot change it. */
export interface Received {
  readonly bytes: Uint8Array;
  readonly from: PeerAddress;
}

/**
 * A transport plus what it received and reported. `waitFor*` resolve once the
 * condition holds; a guard rejects with a clear message if it never does (a
 * hang guard, not a timing assertion).
 */
export interface Endpoint {
  readonly transport: UdpTransport;
  readonly received: Received[];
  readonly errors: Error[];
  readonly address: PeerAddress;
  waitForDatagrams(count: number): Promise<void>;
  waitForErrors(count: number): Promise<void>;
}

const GUARD_MS = 10_000;

/** Creates transports that are all closed after each test. */
export function useTransports(): {
  create(options?: UdpTransportOptions): UdpTransport;
  open(options?: UdpTransportOptions): Promise<Endpoint>;
} {
  const created: UdpTransport[] = [];
  const guards = new Set<ReturnType<typeof setTimeout>>();
  afterEach(async () => {
    for (const guard of guards) clearTimeout(guard);
    guards.clear();
    await Promise.all(created.splice(0).map((t) => t.close()));
  });
  const create = (options: UdpTransportOptions = {}): UdpTransport => {
    const transport = createUdpTransport(options);
    created.push(transport);
    return transport;
  };
  const open = async (options: UdpTransportOptions = {}): Promise<Endpoint> => {
    const transport = create(options);
    const received: Received[] = [];
    const errors: Error[] = [];
    const waiters = new Set<() => void>();
    const wake = (): void => waiters.forEach((w) => w());
    const address = await transport.listen(
      (bytes, from) => {
        received.push({ bytes: Uint8Array.from(bytes), from });
        wake();
      },
      (error) => {
        errors.push(error);
        wake();
      },
    );
    const waitUntil = (done: () => boolean, what: () => string): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        if (done()) return resolve();
        const guard = setTimeout(() => {
          guards.delete(guard);
          waiters.delete(check);
          reject(new Error(`gave up waiting for ${what()}`));
        }, GUARD_MS);
        guards.add(guard);
        const check = (): void => {
          if (!done()) return;
          clearTimeout(guard);
          guards.delete(guard);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    return {
      transport,
      received,
      errors,
      address,
      waitForDatagrams: (n) => waitUntil(() => received.length >= n, () => `${n} datagrams (got ${received.length})`),
      waitForErrors: (n) => waitUntil(() => errors.length >= n, () => `${n} errors (got ${errors.length})`),
    };
  };
  return { create, open };
}

/** Whether a socket can be bound to `host` here (e.g. `::1` in a container without IPv6). */
export async function canBind(host: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  const probe = createUdpTransport({ host });
  try {
    await probe.listen(
      () => {},
      () => {},
    );
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  } finally {
    await probe.close();
  }
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const untext = (b: Uint8Array): string => new TextDecoder().decode(b);
