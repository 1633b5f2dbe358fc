// Configuration errors of the `udprpc` package (issue 13): a wrong option
// type or shape (none or several of url/urls/peer/peers, a bad URL scheme,
// a non-function lookup) is a TypeError, a value of the right type out of
// range (a port of 70000, empty urls, a negative interval) a RangeError,
// thrown at construction and naming the option. Before, all of these were
// RpcError INVALID_ARGUMENT, and startCluster rejected its promise.
import { describe, expect, it } from 'vitest';
import {
  clusterUrls,
  createClient,
  FamilyTransport,
  createServer,
  parseDnsServer,
  parseEndpoint,
  parseSrvUrl,
  serveClusterWorker,
  startCluster,
  type ClusterOptions,
  type UdpClientOptions,
  type UdpServerOptions,
} from 'udprpc';
import { createMemoryNetwork } from '@udprpc/testkit';
import { expectConfigError, type ConfigErrorClass } from '../../../test/helpers/config-errors.js';

const net = createMemoryNetwork();
const peer = { address: 'server', family: 'sim', port: 1 } as const;
const client = (options: Record<string, unknown>) => () => createClient(options as UdpClientOptions);
const cluster = (options: Record<string, unknown>) => () => startCluster({ basePort: 4000, workerModule: 'worker.js', ...options } as ClusterOptions);

describe('createClient options', () => {
  it.each<[string, () => unknown, ConfigErrorClass, RegExp]>([
    ['nothing to call', client({}), TypeError, /^createClient: options\.url is required \(udp:\/\/host:port\)/],
    ['both url and urls', client({ url: 'udp://a:1', urls: ['udp://b:1'] }), TypeError, /^createClient: pass only one of options\.url, options\.urls, options\.peer and options\.peers$/],
    ['peer without transport', client({ peer }), TypeError, /^createClient: options\.peer needs options\.transport \(or pass options\.url\)$/],
    ['transport without peer', client({ transport: net.endpoint() }), TypeError, /^createClient: options\.transport needs options\.peer \(or pass options\.url\)$/],
    ['peers without transport', client({ peers: [peer] }), TypeError, /^createClient: options\.peers needs options\.transport \(or use options\.urls\)$/],
    ['a url that is not a string', client({ url: 4000 }), TypeError, /^options\.url must be a string, got 4000$/],
    ['an http url', client({ url: 'http://a:1' }), TypeError, /^options\.url: unsupported scheme http: in http:\/\/a:1 \(expected udp:\/\/host:port\)$/],
    ['a url without a port', client({ url: 'udp://a' }), TypeError, /^options\.url: missing or invalid port in udp:\/\/a/],
    ['a url with port 70000', client({ url: 'udp://127.0.0.1:70000' }), RangeError, /^options\.url: port 70000 in udp:\/\/127\.0\.0\.1:70000 is out of range: expected 1 to 65535$/],
    ['a url with a port that is not a number', client({ url: 'udp://a:x' }), TypeError, /^options\.url: port "x" in udp:\/\/a:x is not a number/],
    ['an srv url with a port', client({ url: 'udp+srv://_calc._udp.x:53' }), TypeError, /^options\.url: udp\+srv:\/\/_calc\._udp\.x:53: a udp\+srv:\/\/ URL has no port/],
    ['empty urls', client({ urls: [] }), RangeError, /^options\.urls must not be empty$/],
    ['urls that are not a list', client({ urls: 'udp://a:1' }), TypeError, /^options\.urls must be an array, got "udp:\/\/a:1"$/],
    ['a bad scheme in urls', client({ urls: ['udp://a:1', 'http://b:1'] }), TypeError, /^options\.urls\[1\]: unsupported scheme http:/],
    ['resolveIntervalMs -1', client({ urls: ['udp://a:1'], resolveIntervalMs: -1 }), RangeError, /^options\.resolveIntervalMs must be a finite number >= 0, got -1$/],
    ['a lookup that is not a function', client({ urls: ['udp://a:1'], lookup: 'dns' }), TypeError, /^options\.lookup must be a function, got "dns"$/],
    ['dns.attempts 0', client({ urls: ['udp+srv://_calc._udp.x'], dns: { servers: ['127.0.0.1'], attempts: 0 } }), RangeError, /^options\.dns\.attempts must be an integer >= 1, got 0$/],
    ['dns.timeoutMs as a string', client({ urls: ['udp+srv://_calc._udp.x'], dns: { timeoutMs: '1000' } }), TypeError, /^options\.dns\.timeoutMs must be a number, got "1000"$/],
    ['dns.maxTtlMs below minTtlMs', client({ urls: ['udp+srv://_calc._udp.x'], dns: { minTtlMs: 5000, maxTtlMs: 1000 } }), RangeError, /^options\.dns\.maxTtlMs must be >= options\.dns\.minTtlMs \(5000\), got 1000$/],
    ['empty dns.servers', client({ urls: ['udp+srv://_calc._udp.x'], dns: { servers: [] } }), RangeError, /^options\.dns\.servers must not be empty/],
    ['a dns server name', client({ urls: ['udp+srv://_calc._udp.x'], dns: { servers: ['dns.example'] } }), TypeError, /^dns\.servers: "dns\.example" is not an IP address/],
    ['a client option out of range', client({ url: 'udp://127.0.0.1:4000', timeoutMs: -1 }), RangeError, /^options\.timeoutMs must be a finite number > 0 \(or Infinity\), got -1$/],
    ['a socket option out of range', client({ url: 'udp://127.0.0.1:4000', socket: { multicastTtl: 300 } }), RangeError, /^options\.multicastTtl must be an integer from 0 to 255, got 300$/],
  ])('%s', (_, build, kind, message) => expectConfigError(build, kind, message));

  it('good configurations still construct (nothing is sent or bound until a call)', async () => {
    const made = [
      createClient({ url: 'udp://127.0.0.1:4000' }),
      createClient({ url: 'udp://[::1]:4000', timeoutMs: 100 }),
      createClient({ url: 'udp://calc.internal:4000', lookup: async () => [] }),
      createClient({ urls: ['udp://127.0.0.1:4000', 'udp://127.0.0.1:4001'], resolveIntervalMs: 0 }),
      createClient({ url: 'udp+srv://_calc._udp.example', dns: { servers: ['127.0.0.1:5353'], attempts: 1, timeoutMs: 10 } }),
      createClient({ transport: net.endpoint(), peer }),
      createClient({ transport: net.endpoint(), peers: [peer] }),
    ];
    await Promise.all(made.map((c) => c.close()));
    expect(made).toHaveLength(7);
  });
});

describe('createServer options', () => {
  it.each<[string, () => unknown, ConfigErrorClass, RegExp]>([
    ['a host name', () => createServer({ host: 'localhost' }), TypeError, /^options\.host must be an IP literal/],
    ['port 70000', () => createServer({ port: 70_000 }), RangeError, /^options\.port must be an integer from 0 to 65535, got 70000$/],
    ['socket options that are not an object', () => createServer({ socket: 'big' } as unknown as UdpServerOptions), TypeError, /^options\.socket must be an object, got "big"$/],
    ['admission.maxRunning 0', () => createServer({ admission: { maxRunning: 0 } }), RangeError, /^options\.admission\.maxRunning must be an integer >= 1, got 0$/],
  ])('%s', (_, build, kind, message) => expectConfigError(build, kind, message));

  it('good configurations still construct (nothing is bound until listen)', () => {
    expect(() => createServer()).not.toThrow();
    expect(() => createServer({ host: '::1', port: 4000, socket: { recvBufferBytes: 1 << 20 } })).not.toThrow();
    expect(() => createServer({ transport: net.endpoint() })).not.toThrow();
  });
});

describe('URL, DNS server and cluster parsing', () => {
  it.each<[string, () => unknown, ConfigErrorClass, RegExp]>([
    ['parseEndpoint: not a URL', () => parseEndpoint('udp:// a b'), TypeError, /^not a URL: "udp:\/\/ a b"/],
    ['parseEndpoint: no host', () => parseEndpoint('udp://:4000'), TypeError, /^not a URL: "udp:\/\/:4000" \(expected udp:\/\/host:port\)$/],
    ['parseEndpoint: port 0', () => parseEndpoint('udp://a:0'), RangeError, /^port 0 in udp:\/\/a:0 is out of range: expected 1 to 65535$/],
    ['parseSrvUrl: another scheme', () => parseSrvUrl('udp://a:1'), TypeError, /^unsupported scheme udp: in udp:\/\/a:1 \(expected udp\+srv:\/\/\)$/],
    ['parseSrvUrl: not a string', () => parseSrvUrl(1 as unknown as string), TypeError, /^url must be a string, got 1$/],
    ['parseDnsServer: port 0', () => parseDnsServer('127.0.0.1:0'), RangeError, /^dns\.servers: port out of range in 127\.0\.0\.1:0: expected 1 to 65535$/],
    ['clusterUrls: ports past 65535', () => clusterUrls('127.0.0.1', 65_535, 2), RangeError, /^basePort \+ workers - 1 must be <= 65535 \(one port per worker\), got 65536$/],
    ['clusterUrls: basePort 0', () => clusterUrls('127.0.0.1', 0, 2), RangeError, /^basePort must be an integer from 1 to 65535, got 0$/],
    ['clusterUrls: workers 1.5', () => clusterUrls('127.0.0.1', 4000, 1.5), RangeError, /^workers must be an integer >= 1, got 1\.5$/],
    ['clusterUrls: a host that is not a string', () => clusterUrls(1 as unknown as string, 4000, 1), TypeError, /^host must be a string, got 1$/],
    ['startCluster: no workerModule', cluster({ workerModule: undefined }), TypeError, /^options\.workerModule must be a path or a file: URL, got undefined$/],
    ['startCluster: workers 0', cluster({ workers: 0 }), RangeError, /^options\.workers must be an integer >= 1, got 0$/],
    ['startCluster: basePort 70000', cluster({ basePort: 70_000 }), RangeError, /^options\.basePort must be an integer from 1 to 65535, got 70000$/],
    ['startCluster: startTimeoutMs 0', cluster({ startTimeoutMs: 0 }), RangeError, /^options\.startTimeoutMs must be a finite number > 0, got 0$/],
    ['startCluster: onWorkerExit not a function', cluster({ onWorkerExit: 'log' }), TypeError, /^options\.onWorkerExit must be a function, got "log"$/],
    ['serveClusterWorker: no setup', () => serveClusterWorker(undefined as never), TypeError, /^setup must be a function, got undefined$/],
    ['serveClusterWorker: closeTimeoutMs -1', () => serveClusterWorker(() => createServer(), { closeTimeoutMs: -1 }), RangeError, /^options\.closeTimeoutMs must be a finite number >= 0, got -1$/],
    ['FamilyTransport: families that are a list', () => new FamilyTransport(['IPv4'] as never), TypeError, /^initialFamilies must be a function, got an array$/],
  ])('%s', (_, build, kind, message) => expectConfigError(build, kind, message));

  it('good values still parse', () => {
    expect(parseEndpoint('udp://[::1]:4000')).toEqual({ host: '::1', port: 4000, ipVersion: 6 });
    expect(parseSrvUrl('udp+srv://_calc._udp.x')).toEqual({ name: '_calc._udp.x' });
    expect(clusterUrls('127.0.0.1', 65_534, 2)).toEqual(['udp://127.0.0.1:65534', 'udp://127.0.0.1:65535']);
  });
});
