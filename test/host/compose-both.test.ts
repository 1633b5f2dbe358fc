// The client's and the server's interceptor chains are composed by one
// function, core's compose() (issue 13): a layer that throws instead of
// rejecting yields a rejection on both sides (before, both threw).
import { describe, expect, it } from 'vitest';
import { composeClientInterceptors, type ClientRequest } from '@udprpc/client';
import { composeServerInterceptors, type ServerRequest } from '@udprpc/server';

describe('one compose for both chains', () => {
  it("the client's and the server's composition behave the same, throwing layers included", async () => {
    const thrown = new Error('from an interceptor');
    const clientRun = composeClientInterceptors(
      [
        () => () => {
          throw thrown;
        },
      ],
      async () => 'unreached',
    );
    const serverRun = composeServerInterceptors(
      [
        () => () => {
          throw thrown;
        },
      ],
      async () => 'unreached',
    );
    let c: Promise<unknown> | undefined;
    let s: Promise<unknown> | undefined;
    expect(() => (c = clientRun({} as ClientRequest))).not.toThrow();
    expect(() => (s = serverRun({} as ServerRequest))).not.toThrow();
    await expect(c).rejects.toBe(thrown);
    await expect(s).rejects.toBe(thrown);
  });
});
