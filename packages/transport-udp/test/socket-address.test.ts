import { describe, expect, it } from 'vitest';
// Internal helpers, tested directly: the package's own tests may import its sources.
import { describeTarget, literalLookup, sendAddressFor } from '../src/socket-address.js';

describe('sendAddressFor', () => {
  const v4 = { address: '127.0.0.1', family: 'IPv4', port: 4000 } as const;
  const v6 = { address: '::1', family: 'IPv6', port: 4000 } as const;

  it('passes matching families through', () => {
    expect(sendAddressFor(v4, 'udp4', undefined)).toEqual({ ok: true, value: '127.0.0.1' });
    expect(sendAddressFor(v6, 'udp6', undefined)).toEqual({ ok: true, value: '::1' });
  });

  it('reaches IPv4 peers from a dual-stack udp6 socket through IPv4-mapped addresses', () => {
    expect(sendAddressFor(v4, 'udp6', undefined)).toEqual({ ok: true, value: '::ffff:127.0.0.1' });
    expect(sendAddressFor(v4, 'udp6', false)).toEqual({ ok: true, value: '::ffff:127.0.0.1' });
    expect(sendAddressFor(v4, 'udp6', true).ok).toBe(false);
  });

  it('refuses what the socket cannot reach', () => {
    expect(sendAddressFor(v6, 'udp4', undefined).ok).toBe(false);
    expect(sendAddressFor({ address: 'n1', family: 'sim', port: 1 }, 'udp4', undefined).ok).toBe(false);
    for (const port of [0, -1, 65_536, 1.5, Number.NaN]) {
      expect(sendAddressFor({ ...v4, port }, 'udp4', undefined).ok).toBe(false);
    }
  });
});

describe('literalLookup', () => {
  it('answers IP literals synchronously and refuses host names with EINVAL', () => {
    const answers: unknown[][] = [];
    literalLookup('::1', 6, (...args) => answers.push(args));
    literalLookup('10.1.2.3', 4, (...args) => answers.push(args));
    literalLookup('example.com', 4, (...args) => answers.push(args));
    expect(answers[0]).toEqual([null, '::1', 6]);
    expect(answers[1]).toEqual([null, '10.1.2.3', 4]);
    expect(answers[2]?.[0]).toMatchObject({ code: 'EINVAL', hostname: 'example.com' });
  });
});

describe('describeTarget', () => {
  it('formats peers and Node errors without throwing', () => {
    expect(describeTarget({ address: '::1', port: 9 })).toBe('[::1]:9');
    expect(describeTarget({ address: '127.0.0.1', port: 9 })).toBe('127.0.0.1:9');
    expect(describeTarget({ hostname: 'h' })).toBe('h');
    expect(describeTarget(undefined)).toBe('undefined');
  });
});
