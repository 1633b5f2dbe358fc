// The ceiling of path MTU discovery (protocol.md §7.5): what a UDP socket may
// send without IP fragmentation, as far as it can tell.
import { describe, expect, it } from 'vitest';
import { createUdpTransport, maxPathDatagramBytes } from '../src/index.js';

describe('maxPathDatagramBytes', () => {
  it('the UDP limit: the whole size toward loopback, an Ethernet frame otherwise', () => {
    expect(maxPathDatagramBytes({ address: '127.0.0.1', family: 'IPv4', port: 1 }, 65_507)).toBe(65_507);
    expect(maxPathDatagramBytes({ address: '127.3.2.1', family: 'IPv4', port: 1 }, 65_507)).toBe(65_507);
    expect(maxPathDatagramBytes({ address: '::1', family: 'IPv6', port: 1 }, 65_527)).toBe(65_527);
    expect(maxPathDatagramBytes({ address: '::ffff:127.0.0.1', family: 'IPv6', port: 1 }, 65_527)).toBe(65_527);
    expect(maxPathDatagramBytes({ address: '10.0.0.1', family: 'IPv4', port: 1 }, 65_507)).toBe(1472);
    expect(maxPathDatagramBytes({ address: 'fe80::1', family: 'IPv6', port: 1 }, 65_527)).toBe(1452);
    // Never above the socket's own limit.
    expect(maxPathDatagramBytes({ address: '10.0.0.1', family: 'IPv4', port: 1 }, 1300)).toBe(1300);
    const t = createUdpTransport({ host: '127.0.0.1', port: 0, maxDatagramBytes: 9000 });
    expect(t.maxPathDatagramBytes({ address: '127.0.0.1', family: 'IPv4', port: 1 })).toBe(9000);
    expect(t.maxPathDatagramBytes({ address: '192.0.2.1', family: 'IPv4', port: 1 })).toBe(1472);
  });
});
