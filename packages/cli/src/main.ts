// The process entry point of the `udprpc` command (bin/udprpc.js loads it):
// wires run() to the real stdio, stdin and Ctrl-C, and sets the exit code.
import { run } from './run.js';

const controller = new AbortController();
// The first Ctrl-C lets ping and bench stop and print their summary; `once`
// restores the default handler, so a second one exits at once.
process.once('SIGINT', () => controller.abort());
// `udprpc ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
});

process.exitCode = await run(process.argv.slice(2), {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  readStdin,
  stderrIsTTY: process.stderr.isTTY === true,
  signal: controller.signal,
});

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
