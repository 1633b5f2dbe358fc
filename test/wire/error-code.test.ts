// §5.3: "Senders MUST NOT send 0". A handler that throws an RpcError whose
// code is not in the table (JavaScript lets a caller pass any string) is
// answered with UNKNOWN (2), never with 0 (issue 12, item 1).
import { describe, expect, it } from 'vitest';
import { type ErrorCode } from '@udprpc/core';
import { decodeErrorBody, FrameType } from '@udprpc/core/wire';
import { codeToNumber } from '@udprpc/core/engine';
import { createClient, createServer, defineContract, method, msgpackCodec, RpcError } from 'udprpc';
import { createRandom, settleAll } from '@udprpc/testkit';
import { recordingNetwork } from './wire-log.js';

const svc = defineContract('odd', { fail: method<string, void>() });

describe('ERROR code numbers (protocol.md §5.3)', () => {
  it('codeToNumber maps every table name to its number and anything else to UNKNOWN (2)', () => {
    expect(codeToNumber('CANCELLED')).toBe(1);
    expect(codeToNumber('UNAUTHENTICATED')).toBe(16);
    for (const bogus of ['', 'OK', 'not_found', 'toString', '__proto__', 'constructor']) expect(codeToNumber(bogus), bogus).toBe(2);
  });

  it('a handler throwing an RpcError with a code outside the table is sent as code 2 (UNKNOWN), not 0', async () => {
    const { clock, network, frames } = recordingNetwork();
    const a = network.endpoint('server');
    const b = network.endpoint('client');
    const server = createServer({ transport: a, codec: msgpackCodec, clock }).implement(svc, {
      fail: (code) => {
        throw new RpcError(code as ErrorCode, `thrown with ${code}`);
      },
    });
    await server.listen();
    const client = createClient({ transport: b, peer: a.address, codec: msgpackCodec, clock, random: createRandom(2) });
    const stub = client.stub(svc);
    const outcomes = await settleAll(clock, [stub.fail('NOT_A_CODE'), stub.fail('OK'), stub.fail('ABORTED')], { maxTimeMs: 10_000 });
    expect(outcomes.map((o) => o.status === 'rejected' && (o.reason as RpcError).code)).toEqual(['UNKNOWN', 'UNKNOWN', 'ABORTED']);
    const codes = frames.filter((f) => f.type === FrameType.ERROR).map((f) => {
      const body = decodeErrorBody(f.body);
      if (!body.ok) throw new Error(body.error);
      return [body.value.code, body.value.message] as const;
    });
    expect(codes.sort()).toEqual([
      [10, 'thrown with ABORTED'],
      [2, 'thrown with NOT_A_CODE'],
      [2, 'thrown with OK'],
    ]);
    await client.close();
    await server.close();
  });
});
