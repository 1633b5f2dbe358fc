import { createServer, defineContract, method, RpcError, type Server } from 'udprpc';

/** The contract the CLI tests call. */
export const calc = defineContract('calc', {
  add: method<{ a: number; b: number }, number>(),
  /** Fails with INVALID_ARGUMENT (and details) when dividing by zero. */
  div: method<{ a: number; b: number }, number>(),
  /** Answers after `ms`, or gives up when the caller's deadline passes. */
  slow: method<{ ms: number }, string>({ idempotent: true }),
  echo: method<unknown, unknown>({ idempotent: true }),
});

/** A running calc server on 127.0.0.1 and its URL. */
export interface CalcServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Starts a calc server on 127.0.0.1 on a free port. */
export async function startCalcServer(options: { introspection?: boolean } = {}): Promise<CalcServer> {
  const server = createServer({ host: '127.0.0.1', port: 0, ...options }).implement(calc, {
    add: ({ a, b }) => a + b,
    div: ({ a, b }) => {
      if (b === 0) throw new RpcError('INVALID_ARGUMENT', 'division by zero', { details: { field: 'b' } });
      return a / b;
    },
    slow: ({ ms }, ctx) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => resolve('done'), ms);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(new RpcError('CANCELLED', 'gave up'));
        });
      }),
    echo: (input) => input,
  });
  const address = await server.listen();
  return { server, url: `udp://127.0.0.1:${address.port}`, close: () => server.close() };
}
