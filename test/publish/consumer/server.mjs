// Runs from the installed tarballs with plain `node` (no tsx, no conditions).
// Prints its port, serves until its stdin ends, and exits after 20 s at most.
import { createServer, defineContract, method, RpcError } from 'udprpc';

const calc = defineContract('calc', { add: method(), div: method() });
const server = createServer({ host: '127.0.0.1', port: 0 }).implement(calc, {
  add: ({ a, b }) => a + b,
  div: ({ a, b }) => {
    if (b === 0) throw new RpcError('INVALID_ARGUMENT', 'division by zero');
    return a / b;
  },
});
const { port } = await server.listen();
process.stdout.write(`${port}\n`);
const stop = () => void server.close().then(() => process.exit(0));
process.stdin.on('end', stop).resume();
setTimeout(stop, 20_000);
