// Issue 11.9: after a failed bind (EADDRINUSE) the server must be usable
// again. Before the fix, `listen()` had already marked the server listening,
// so every later `listen()` failed with "server is listening" and the server
// could never serve. Real UDP on 127.0.0.1.
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, createServer, RpcError, type Client, type Server } from 'udprpc';
import { calc, calcHandlers, createProbe } from '../helpers/calc-service.js';
import { rpcErrorOf, withGuard } from '../helpers/wait.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()));
});

function bindBlocker(): Promise<{ socket: Socket; port: number }> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve({ socket, port: socket.address().port }));
  });
}

const closeSocket = (socket: Socket): Promise<void> => new Promise((resolve) => socket.close(() => resolve()));

describe('listen() after a failed bind (issue 11.9)', () => {
  it('rejects with UNAVAILABLE (EADDRINUSE), leaves the server unbound, and listens once the port is free', async () => {
    const blocker = await bindBlocker();
    const server: Server = createServer({ host: '127.0.0.1', port: blocker.port });
    server.implement(calc, calcHandlers(createProbe()));
    open.push(server);
    let listening = 0;
    server.on('listening', () => listening++);

    const first = await rpcErrorOf(server.listen(), 'listen on a port in use');
    expect({ code: first.code, remote: first.remote }).toEqual({ code: 'UNAVAILABLE', remote: false });
    expect(first.message).toContain('EADDRINUSE');
    expect(server.localAddress).toBeUndefined();
    // Still in use: the same typed error again, not "server is listening".
    const second = await rpcErrorOf(server.listen(), 'listen again on a port in use');
    expect(second.code).toBe('UNAVAILABLE');
    expect(listening).toBe(0);

    await closeSocket(blocker.socket);
    const address = await withGuard(server.listen(), 'listen once the port is free');
    expect(address).toMatchObject({ address: '127.0.0.1', port: blocker.port });
    expect(server.localAddress).toEqual(address);
    expect(listening).toBe(1);
    const client: Client = createClient({ url: `udp://127.0.0.1:${blocker.port}` });
    open.push(client);
    expect(await withGuard(client.stub(calc).add({ a: 2, b: 3 }), 'a call to the server')).toBe(5);
    // And the usual precondition still holds once it listens.
    const third = await rpcErrorOf(server.listen(), 'a second listen');
    expect(RpcError.is(third) && third.code).toBe('FAILED_PRECONDITION');
  });

  it('a server whose bind failed closes cleanly, and a listen() raced by close() rejects without emitting listening', async () => {
    const blocker = await bindBlocker();
    open.push({ close: () => closeSocket(blocker.socket) });
    const failed = createServer({ host: '127.0.0.1', port: blocker.port });
    await rpcErrorOf(failed.listen(), 'listen on a port in use');
    let closed = 0;
    failed.on('close', () => closed++);
    await withGuard(failed.close(), 'close after a failed bind');
    expect(closed).toBe(1);
    expect((await rpcErrorOf(failed.listen(), 'listen after close')).code).toBe('FAILED_PRECONDITION');

    const raced = createServer({ host: '127.0.0.1', port: 0 });
    let listening = 0;
    raced.on('listening', () => listening++);
    const pending = raced.listen();
    await raced.close();
    const outcome = await pending.then(
      () => 'resolved',
      (e: unknown) => (RpcError.is(e) ? e.code : 'not an RpcError'),
    );
    expect(outcome).toBe('CANCELLED');
    expect(listening).toBe(0);
  });
});
