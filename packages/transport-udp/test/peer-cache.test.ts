import { describe, expect, it } from 'vitest';
import { PeerCache } from '@udprpc/transport-udp';

describe('PeerCache', () => {
  it('returns the same frozen object for the same address and port', () => {
    const cache = new PeerCache(8);
    const a = cache.get('127.0.0.1', 'IPv4', 4000);
    expect(cache.get('127.0.0.1', 'IPv4', 4000)).toBe(a);
    expect(a).toEqual({ address: '127.0.0.1', family: 'IPv4', port: 4000 });
    expect(Object.isFrozen(a)).toBe(true);
    expect(cache.get('127.0.0.1', 'IPv4', 4001)).not.toBe(a);
    expect(cache.size).toBe(2);
  });

  it('stays bounded, evicting the oldest entry', () => {
    const cache = new PeerCache(3);
    const first = cache.get('10.0.0.1', 'IPv4', 1);
    for (let port = 2; port <= 10; port++) cache.get('10.0.0.1', 'IPv4', port);
    expect(cache.size).toBe(3);
    const again = cache.get('10.0.0.1', 'IPv4', 1);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
    expect(cache.size).toBe(3);
  });

  it('caches nothing with size 0 and rejects a bad size', () => {
    const cache = new PeerCache(0);
    expect(cache.get('::1', 'IPv6', 1)).toEqual({ address: '::1', family: 'IPv6', port: 1 });
    expect(cache.size).toBe(0);
    expect(() => new PeerCache(-1)).toThrow(RangeError);
  });
});
