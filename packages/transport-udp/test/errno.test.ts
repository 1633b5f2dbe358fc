import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { RpcError } from '@udprpc/core';
import { codeFromErrno, errnoOf, rpcErrorFromErrno } from '@udprpc/transport-udp';
import { useTransports } from './support.js';

const { create, open } = useTransports();

const errnoError = (code: string, syscall = 'bind'): NodeJS.ErrnoException =>
  Object.assign(new Error(`${syscall} ${code}`), { code, errno: -1, syscall });

describe('rpcErrorFromErrno', () => {
  it.each([
    ['EADDRINUSE', 'UNAVAILABLE'],
    ['EADDRNOTAVAIL', 'UNAVAILABLE'],
    ['EAFNOSUPPORT', 'UNAVAILABLE'],
    ['ENETUNREACH', 'UNAVAILABLE'],
    ['EHOSTUNREACH', 'UNAVAILABLE'],
    ['ECONNREFUSED', 'UNAVAILABLE'],
    ['EACCES', 'PERMISSION_DENIED'],
    ['EINVAL', 'INVALID_ARGUMENT'],
    ['ERR_SOCKET_BAD_PORT', 'INVALID_ARGUMENT'],
    ['EMSGSIZE', 'RESOURCE_EXHAUSTED'],
    ['ENOBUFS', 'RESOURCE_EXHAUSTED'],
    ['ERR_SOCKET_DGRAM_NOT_RUNNING', 'FAILED_PRECONDITION'],
    ['ECANCELED', 'CANCELLED'],
    ['EWHATEVER', 'UNKNOWN'],
  ] as const)('maps %s to %s, keeping the cause and naming the context', (errno, code) => {
    const cause = errnoError(errno);
    const error = rpcErrorFromErrno(cause, 'bind 127.0.0.1:4000');
    expect(error).toBeInstanceOf(RpcError);
    expect(error.code).toBe(code);
    expect(error.remote).toBe(false);
    expect(error.cause).toBe(cause);
    expect(error.message).toContain('bind 127.0.0.1:4000');
    expect(error.message).toContain(errno);
    expect(error.details).toEqual({ errno, syscall: 'bind' });
    expect(codeFromErrno(errno)).toBe(code);
  });

  it('passes RpcErrors through and makes errors without a code INTERNAL', () => {
    const rpc = new RpcError('ABORTED', 'x');
    expect(rpcErrorFromErrno(rpc, 'send')).toBe(rpc);
    expect(rpcErrorFromErrno(new TypeError('boom'), 'send')).toMatchObject({ code: 'INTERNAL' });
    expect(rpcErrorFromErrno('a string', 'send')).toMatchObject({ code: 'INTERNAL' });
  });

  it("reads the OS errno behind Node's ERR_SOCKET_BUFFER_SIZE", () => {
    const e = Object.assign(new Error('buffer'), { code: 'ERR_SOCKET_BUFFER_SIZE', info: { code: 'ENOBUFS' } });
    expect(errnoOf(e)).toBe('ENOBUFS');
    expect(errnoOf({ code: 42 })).toBeUndefined();
    expect(errnoOf(null)).toBeUndefined();
  });
});

describe('listen errors', () => {
  it('maps EADDRINUSE to UNAVAILABLE with the errno error as cause', async () => {
    const first = await open();
    const second = create({ port: first.address.port });
    const failure = await second.listen(() => {}, () => {}).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(RpcError.is(failure)).toBe(true);
    const error = failure as RpcError;
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toContain(`127.0.0.1:${first.address.port}`);
    expect(error.message).toContain('EADDRINUSE');
    expect((error.cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
    expect(second.localAddress).toBeUndefined();
    // A failed listen leaves nothing open: close still resolves, sends are counted drops.
    second.send(new Uint8Array(1), first.address);
    expect(second.stats().sendDropsNotListening).toBe(1);
    await second.close();
  });

  it('maps an address that is not on this host (EADDRNOTAVAIL) to UNAVAILABLE', async (ctx) => {
    // A TEST-NET-3 (RFC 5737) address; binding sends nothing. Skip if some
    // interface here happens to own it.
    const foreign = '203.0.113.77';
    const local = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
    if (local.some((i) => i.address === foreign)) ctx.skip(`${foreign} is assigned to a local interface here`);
    const t = create({ host: foreign });
    await expect(t.listen(() => {}, () => {})).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining(`${foreign}`),
      cause: expect.objectContaining({ code: 'EADDRNOTAVAIL' }),
    });
  });
  // Bad options throw from createUdpTransport itself: test/config-errors.test.ts.
});
