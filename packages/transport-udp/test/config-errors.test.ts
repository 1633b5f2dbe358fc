// Configuration errors (issue 13): a wrong option type or shape is a
// TypeError, a number out of range a RangeError, thrown by the factory
// itself (before: `listen` rejected with RpcError INVALID_ARGUMENT). Each
// message names the option.
import { describe, expect, it } from 'vitest';
import { expectConfigError, type ConfigErrorClass as ErrorClass } from '../../../test/helpers/config-errors.js';
import { createGroupTransport, createUdpTransport, type GroupTransportOptions, type UdpTransportOptions } from '@udprpc/transport-udp';

const GROUP = '239.255.0.1';

describe('createUdpTransport options', () => {
  it.each<[string, UdpTransportOptions, ErrorClass, RegExp]>([
    ['a host name', { host: 'localhost' }, TypeError, /options\.host must be an IP literal/],
    ['a host that is no address', { host: 'not a host' }, TypeError, /options\.host must be an IP literal/],
    ['a host of the other family', { host: '::1', type: 'udp4' }, TypeError, /options\.host ::1 is an IPv6 address but options\.type is udp4/],
    ['an unknown type', { type: 'udp5' as 'udp4' }, TypeError, /options\.type must be 'udp4' or 'udp6', got "udp5"/],
    ['ipv6Only on udp4', { ipv6Only: true }, TypeError, /options\.ipv6Only applies only to udp6/],
    ['a string port', { port: '4000' as unknown as number }, TypeError, /options\.port must be a number, got "4000"/],
    ['port 70000', { port: 70_000 }, RangeError, /options\.port must be an integer from 0 to 65535, got 70000/],
    ['a negative port', { port: -1 }, RangeError, /options\.port must be an integer from 0 to 65535, got -1/],
    ['a fractional port', { port: 1.5 }, RangeError, /options\.port .* got 1\.5/],
    ['maxDatagramBytes above udp4', { maxDatagramBytes: 70_000 }, RangeError, /options\.maxDatagramBytes must be an integer from 1 to 65507, got 70000/],
    ['maxDatagramBytes NaN', { maxDatagramBytes: Number.NaN }, RangeError, /options\.maxDatagramBytes .* got NaN/],
    ['multicastTtl 256', { multicastTtl: 256 }, RangeError, /options\.multicastTtl must be an integer from 0 to 255, got 256/],
    ['recvBufferBytes 0', { recvBufferBytes: 0 }, RangeError, /options\.recvBufferBytes must be an integer from 1/],
    ['an empty multicastInterface', { multicastInterface: '' }, RangeError, /options\.multicastInterface must not be empty/],
    ['a numeric multicastInterface', { multicastInterface: 1 as unknown as string }, TypeError, /options\.multicastInterface must be a string/],
    ['a string reuseAddr', { reuseAddr: 'yes' as unknown as boolean }, TypeError, /options\.reuseAddr must be a boolean/],
    ['peerCacheSize -1', { peerCacheSize: -1 }, RangeError, /options\.peerCacheSize must be an integer from 0 to 16777216, got -1/],
    ['connect to a host name', { connect: { address: 'localhost', port: 4000 } }, TypeError, /options\.connect\.address must be an IPv4 literal/],
    ['connect to the other family', { connect: { address: '::1', port: 4000 } }, TypeError, /options\.connect\.address must be an IPv4 literal/],
    ['connect to port 0', { connect: { address: '127.0.0.1', port: 0 } }, RangeError, /options\.connect\.port must be an integer from 1 to 65535, got 0/],
    ['options that are not an object', 'udp4' as unknown as UdpTransportOptions, TypeError, /options must be an object/],
  ])('%s', (_, options, kind, names) => {
    expectConfigError(() => createUdpTransport(options), kind, names);
  });

  it('good configurations still construct', () => {
    for (const options of [{}, { host: '::1' }, { host: '0.0.0.0', port: 65_535, maxDatagramBytes: 100 }, { host: '::', type: 'udp6' as const, ipv6Only: true, maxDatagramBytes: 65_527 }, { connect: { address: '127.0.0.1', port: 1 } }]) {
      expect(createUdpTransport(options).maxDatagramBytes).toBe(options.maxDatagramBytes ?? (options.host?.includes(':') === true ? 65_527 : 65_507));
    }
  });
});

describe('createGroupTransport options', () => {
  it.each<[string, GroupTransportOptions, ErrorClass, RegExp]>([
    ['a group name', { group: 'example.com', port: 1 }, TypeError, /options\.group must be an IP literal/],
    ['a unicast group', { group: '10.0.0.1', port: 1 }, TypeError, /options\.group 10\.0\.0\.1 is not a multicast address .*broadcast: true/],
    ['broadcast to a multicast group', { group: GROUP, port: 1, broadcast: true }, TypeError, /options\.group .* is a multicast address: omit broadcast/],
    ['IPv6 broadcast', { group: 'ff02::1', port: 1, broadcast: true }, TypeError, /options\.broadcast: IPv6 has no broadcast/],
    ['port 70000', { group: GROUP, port: 70_000 }, RangeError, /options\.port must be an integer from 0 to 65535, got 70000/],
    ['a missing port', { group: GROUP } as GroupTransportOptions, TypeError, /options\.port must be a number, got undefined/],
    ['an IPv6 interface on an IPv4 group', { group: GROUP, port: 1, interface: '::1' }, TypeError, /options\.interface must be an IPv4 address/],
    ['an IPv4 interface on an IPv6 group', { group: 'ff15::1', port: 1, interface: '127.0.0.1' }, TypeError, /options\.interface must be an IPv6 scope/],
    ['a host of the other family', { group: GROUP, port: 1, host: '::1' }, TypeError, /options\.host must be an IPv4 literal/],
    ['ttl 256', { group: GROUP, port: 1, ttl: 256 }, RangeError, /options\.ttl must be an integer from 0 to 255, got 256/],
    ['unicastPort -1', { group: GROUP, port: 1, unicastPort: -1 }, RangeError, /options\.unicastPort must be an integer from 0 to 65535, got -1/],
    ['maxDatagramBytes 0', { group: GROUP, port: 1, maxDatagramBytes: 0 }, RangeError, /options\.maxDatagramBytes must be an integer from 1 to 65507, got 0/],
  ])('%s', (_, options, kind, names) => {
    expectConfigError(() => createGroupTransport(options), kind, names);
  });

  it('good configurations still construct', () => {
    expect(createGroupTransport({ group: GROUP, port: 0, interface: '127.0.0.1' }).maxDatagramBytes).toBe(65_507);
    expect(createGroupTransport({ group: '127.255.255.255', port: 4000, broadcast: true, maxDatagramBytes: 1200 }).maxDatagramBytes).toBe(1200);
    expect(createGroupTransport({ group: 'ff15::1', port: 1, ttl: 0 }).maxDatagramBytes).toBe(65_527);
  });
});
