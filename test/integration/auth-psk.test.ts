// Pre-shared-key authentication end to end (docs/security.md): the `udprpc`
// client and server on a PSK transport, over real UDP on loopback and over
// the testkit's in-memory pair. Wrong keys, replays, bit flips and rotation;
// plaintext side by side with per-contract and global requireAuth.
import { afterEach, describe, expect, it } from 'vitest';
import {
  createClient,
  createServer,
  createUdpTransport,
  defineContract,
  method,
  type Client,
  type Handlers,
  type PeerAddress,
  type Server,
  type Transport,
} from 'udprpc';
import { createKeyRing, createPskTransport, generateKey, isSealed, type KeyRing, type PskDropReason, type PskTransport } from '@udprpc/auth-psk';
import { createLoopbackPair } from '@udprpc/testkit';
import { useRawSockets } from '../helpers/raw-socket.js';
import { bindProblem, urlOf } from '../helpers/udp-rpc.js';
import { rpcErrorOf, waitFor, withGuard } from '../helpers/wait.js';

/** Only authenticated peers may call it. */
const vault = defineContract('vault', {
  whoami: method<void, string | null>(),
  /** Counts handler runs: a replay must not run it again. */
  bump: method<void, number>(),
});
/** Open to everyone. */
const lobby = defineContract('lobby', { whoami: method<void, string | null>() });

const SHORT_MS = 300; // deadline for calls that must go unanswered (not a timing assertion)
const OLD = generateKey();
const NEW = generateKey();
const IPV6_PROBLEM = await bindProblem('::1');

interface Running {
  readonly server: Server;
  readonly psk: PskTransport;
  readonly address: PeerAddress;
  readonly drops: PskDropReason[];
  readonly runs: { bumps: number };
}

const servers: Server[] = [];
const clients: Client[] = [];
afterEach(async () => {
  await Promise.all([...clients.splice(0).map((c) => c.close()), ...servers.splice(0).map((s) => s.close())]);
});
const raw = useRawSockets();

interface ServeOptions {
  keys: KeyRing | Record<string, Uint8Array>;
  sendKeyId: string;
  allowPlaintext?: boolean;
  requireAuth?: boolean;
  host?: string;
  inner?: Transport;
}

async function serve(options: ServeOptions): Promise<Running> {
  const drops: PskDropReason[] = [];
  const runs = { bumps: 0 };
  const psk = createPskTransport(options.inner ?? createUdpTransport({ host: options.host ?? '127.0.0.1' }), {
    keys: options.keys,
    sendKeyId: options.sendKeyId,
    allowPlaintext: options.allowPlaintext ?? false,
    onDrop: (reason) => drops.push(reason),
  });
  const vaultHandlers: Handlers<typeof vault> = {
    whoami: (_, ctx) => ctx.authenticatedAs ?? null,
    bump: () => ++runs.bumps,
  };
  const server = createServer({ transport: psk, ...(options.requireAuth === undefined ? {} : { requireAuth: options.requireAuth }) })
    .implement(vault, vaultHandlers, { requireAuth: true })
    .implement(lobby, { whoami: (_, ctx) => ctx.authenticatedAs ?? null });
  servers.push(server);
  return { server, psk, address: await server.listen(), drops, runs };
}

/** A client on a PSK transport; `sent` records every sealed datagram it puts on the wire. */
function pskClient(peer: PeerAddress, keys: KeyRing | Record<string, Uint8Array>, sendKeyId: string, inner?: Transport) {
  const sent: Uint8Array[] = [];
  const udp = inner ?? createUdpTransport({ host: peer.address });
  const tap: Transport = {
    listen: (handler, onError) => udp.listen(handler, onError),
    send: (bytes, to) => {
      sent.push(bytes.slice());
      udp.send(bytes, to);
    },
    close: () => udp.close(),
  };
  const psk = createPskTransport(tap, { keys, sendKeyId });
  const client = createClient({ transport: psk, peer, timeoutMs: 5000 });
  clients.push(client);
  return { client, psk, sent, vault: client.stub(vault), lobby: client.stub(lobby) };
}

function plainClient(peer: PeerAddress) {
  const client = createClient({ url: urlOf(peer) });
  clients.push(client);
  return { vault: client.stub(vault), lobby: client.stub(lobby) };
}

describe('PSK over real UDP on loopback', () => {
  it('an authenticated call succeeds and the handler sees the key id; the wire carries only sealed datagrams', async () => {
    const s = await serve({ keys: { old: OLD }, sendKeyId: 'old' });
    const c = pskClient(s.address, { old: OLD }, 'old');
    expect(await withGuard(c.vault.whoami(), 'whoami')).toBe('old');
    expect(await withGuard(c.lobby.whoami(), 'lobby whoami')).toBe('old');
    expect(c.sent.length).toBeGreaterThanOrEqual(2);
    expect(c.sent.every(isSealed)).toBe(true);
    expect(s.psk.stats().opened).toBeGreaterThanOrEqual(2);
    expect(c.psk.stats().opened).toBeGreaterThanOrEqual(2);
    expect(s.drops).toEqual([]);
  });

  it.skipIf(IPV6_PROBLEM !== undefined)(`works over ::1 too${IPV6_PROBLEM === undefined ? '' : ` — SKIPPED: ${IPV6_PROBLEM}`}`, async () => {
    const s = await serve({ keys: { old: OLD }, sendKeyId: 'old', host: '::1' });
    const c = pskClient(s.address, { old: OLD }, 'old');
    expect(await withGuard(c.vault.whoami(), 'whoami over ::1')).toBe('old');
  });

  it('a wrong key under the right id times out, and the server counts bad-tag', async () => {
    const s = await serve({ keys: { old: OLD }, sendKeyId: 'old' });
    const c = pskClient(s.address, { old: NEW }, 'old');
    const error = await rpcErrorOf(c.vault.bump(undefined, { timeoutMs: SHORT_MS }));
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    expect(s.drops.length).toBeGreaterThan(0);
    expect(new Set(s.drops)).toEqual(new Set(['bad-tag']));
    expect(s.runs.bumps).toBe(0);
  });

  it('an unknown key id times out, and the server counts unknown-key', async () => {
    const s = await serve({ keys: { old: OLD }, sendKeyId: 'old' });
    const c = pskClient(s.address, { stranger: OLD }, 'stranger');
    expect((await rpcErrorOf(c.vault.bump(undefined, { timeoutMs: SHORT_MS }))).code).toBe('DEADLINE_EXCEEDED');
    expect(new Set(s.drops)).toEqual(new Set(['unknown-key']));
    expect(s.runs.bumps).toBe(0);
  });

  it('a captured datagram sent again from another socket is dropped as replay; the handler does not run again', async () => {
    const s = await serve({ keys: { old: OLD }, sendKeyId: 'old' });
    const c = pskClient(s.address, { old: OLD }, 'old');
    expect(await withGuard(c.vault.bump(), 'bump')).toBe(1);
    const captured = c.sent[0]!; // the sealed REQUEST
    const attacker = await raw.open('127.0.0.1');
    await attacker.send(captured, s.address);
    await attacker.send(captured, s.address);
    await waitFor(() => s.psk.stats().dropped.replay >= 2, 'two replays to be dropped');
    expect(s.runs.bumps).toBe(1);
    // The genuine client is unaffected: its next datagrams carry fresh counters.
    expect(await withGuard(c.vault.bump(), 'second bump')).toBe(2);
    expect(attacker.received).toEqual([]);
  });

  it('bit flips anywhere in a sealed datagram are dropped and counted, and never reach the server', async () => {
    const s = await serve({ keys: { old: OLD }, sendKeyId: 'old' });
    const c = pskClient(s.address, { old: OLD }, 'old');
    await withGuard(c.vault.bump(), 'bump');
    const captured = c.sent[0]!;
    const attacker = await raw.open('127.0.0.1');
    const openedBefore = s.psk.stats().opened;
    const bits = [...Array(captured.length * 8).keys()].filter((bit) => bit < 64 || bit % 13 === 0);
    for (const bit of bits) {
      const copy = captured.slice();
      copy[bit >> 3] = copy[bit >> 3]! ^ (1 << (bit & 7));
      await attacker.send(copy, s.address);
    }
    await waitFor(() => s.drops.length >= bits.length, `${bits.length} drops`);
    expect(s.drops).toHaveLength(bits.length);
    expect(s.psk.stats().opened).toBe(openedBefore);
    expect(s.runs.bumps).toBe(1);
    expect(s.drops).toContain('bad-tag');
    expect(s.drops).toContain('plaintext'); // a flip in the magic makes it look unsealed
  });

  it('rotates keys without downtime: accept both, switch senders, retire the old key', async () => {
    const serverKeys = createKeyRing({ old: OLD });
    const s = await serve({ keys: serverKeys, sendKeyId: 'old' });
    const laggard = pskClient(s.address, { old: OLD }, 'old');
    const bKeys = createKeyRing({ old: OLD });
    const b = pskClient(s.address, bKeys, 'old');
    expect(await withGuard(b.vault.whoami(), 'b before')).toBe('old');

    // 1. Every server accepts the new key as well.
    serverKeys.add('new', NEW);
    // 2. Clients learn it and switch; replies come back sealed with the key each client used.
    bKeys.add('new', NEW);
    b.psk.setSendKey('new');
    expect(await withGuard(b.vault.whoami(), 'b after switching')).toBe('new');
    expect(await withGuard(laggard.vault.whoami(), 'laggard during rotation')).toBe('old');
    // 3. The old key is retired everywhere.
    s.psk.setSendKey('new');
    serverKeys.remove('old');
    bKeys.remove('old');
    const error = await rpcErrorOf(laggard.vault.whoami(undefined, { timeoutMs: SHORT_MS }), 'laggard after retirement');
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    expect(s.drops).toContain('unknown-key');
    expect(await withGuard(b.vault.whoami(), 'b after retirement')).toBe('new');
  });

  it('allowPlaintext + implement(..., { requireAuth }): plaintext is refused per contract, served elsewhere', async () => {
    const s = await serve({ keys: { old: OLD }, sendKeyId: 'old', allowPlaintext: true });
    const plain = plainClient(s.address);
    const refused = await rpcErrorOf(plain.vault.bump(), 'plaintext vault.bump');
    expect(refused.code).toBe('UNAUTHENTICATED');
    expect(refused.remote).toBe(true);
    expect(await withGuard(plain.lobby.whoami(), 'plaintext lobby.whoami')).toBeNull();
    expect(s.runs.bumps).toBe(0);
    // Authenticated clients share the same server and socket.
    const c = pskClient(s.address, { old: OLD }, 'old');
    expect(await withGuard(c.vault.bump(), 'sealed bump')).toBe(1);
    // Plaintext requests were answered in plaintext (a plain client could not read anything else).
    expect(s.psk.stats().plaintextReceived).toBeGreaterThanOrEqual(2);
    expect(s.psk.stats().plaintextSent).toBeGreaterThanOrEqual(2);
  });

  it('createServer({ requireAuth: true }) refuses unauthenticated calls to every contract', async () => {
    const s = await serve({ keys: { old: OLD }, sendKeyId: 'old', allowPlaintext: true, requireAuth: true });
    expect((await rpcErrorOf(plainClient(s.address).lobby.whoami())).code).toBe('UNAUTHENTICATED');
    expect(await withGuard(pskClient(s.address, { old: OLD }, 'old').lobby.whoami(), 'sealed lobby')).toBe('old');
  });

  it('without allowPlaintext, a plaintext client gets no answer at all', async () => {
    const s = await serve({ keys: { old: OLD }, sendKeyId: 'old' });
    const client = createClient({ url: urlOf(s.address), timeoutMs: SHORT_MS });
    clients.push(client);
    expect((await rpcErrorOf(client.stub(lobby).whoami())).code).toBe('DEADLINE_EXCEEDED');
    expect(new Set(s.drops)).toEqual(new Set(['plaintext']));
  });
});

describe('PSK over the testkit loopback pair', () => {
  it('round-trips typed calls with ctx.authenticatedAs, with either algorithm on each side', async () => {
    const { a, b } = createLoopbackPair();
    const s = await serve({ keys: { k: OLD }, sendKeyId: 'k', inner: a });
    const psk = createPskTransport(b, { keys: { k: OLD }, sendKeyId: 'k', algorithm: 'aes-256-gcm' });
    const client = createClient({ transport: psk, peer: a.address });
    clients.push(client);
    expect(await withGuard(client.stub(vault).whoami(), 'whoami')).toBe('k');
    expect(await withGuard(client.stub(vault).bump(), 'bump')).toBe(1);
    expect(s.drops).toEqual([]);
  });
});
