import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeForRpcError, ExitCode } from '@udprpc/cli';
import { startCalcServer, type CalcServer } from './calc-server.js';
import { runCli } from './run-cli.js';

// The CLI run in-process through run(), against a real server on 127.0.0.1.

let calc: CalcServer;
let closed: CalcServer;
beforeAll(async () => {
  calc = await startCalcServer();
  closed = await startCalcServer({ introspection: false });
});
afterAll(async () => {
  await calc.close();
  await closed.close();
});

describe('udprpc call', () => {
  it('prints the result as JSON on stdout', async () => {
    const r = await runCli(['call', calc.url, 'calc.add', '{"a":1,"b":2}']);
    expect(r).toEqual({ code: 0, stdout: '3\n', stderr: '' });
  });

  it('reads the input from stdin with "-" and prints objects as JSON', async () => {
    const r = await runCli(['call', calc.url, 'calc.echo', '-', '--idempotent'], { stdin: '{"x":[1,"two",null]}' });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ x: [1, 'two', null] });
  });

  it('reports a remote error as CODE: message plus details, with its exit code', async () => {
    const r = await runCli(['call', calc.url, 'calc.div', '{"a":1,"b":0}']);
    expect(r.code).toBe(exitCodeForRpcError('INVALID_ARGUMENT'));
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^INVALID_ARGUMENT: division by zero\n/);
    expect(JSON.parse(r.stderr.slice(r.stderr.indexOf('\n') + 1))).toEqual({ field: 'b' });
  });

  it('reports an unknown method as NOT_FOUND', async () => {
    const r = await runCli(['call', calc.url, 'calc.nope', '{}']);
    expect(r.code).toBe(exitCodeForRpcError('NOT_FOUND'));
    expect(r.stderr).toMatch(/^NOT_FOUND: /);
  });

  it('times out with DEADLINE_EXCEEDED', async () => {
    const r = await runCli(['call', calc.url, 'calc.slow', '{"ms":5000}', '--timeout', '100']);
    expect(r.code).toBe(exitCodeForRpcError('DEADLINE_EXCEEDED'));
    expect(r.stderr).toMatch(/^DEADLINE_EXCEEDED: /);
  });

  it('exits 65 on input that is not JSON', async () => {
    const r = await runCli(['call', calc.url, 'calc.add', '{a:1}']);
    expect(r.code).toBe(ExitCode.DATA);
    expect(r.stderr).toMatch(/not valid JSON/);
  });
});

describe('udprpc describe', () => {
  it('lists services and methods with their semantics', async () => {
    const r = await runCli(['describe', calc.url]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^calc \(4 methods\)$/m);
    expect(r.stdout).toMatch(/^ {2}calc\.add +at-most-once$/m);
    expect(r.stdout).toMatch(/^ {2}calc\.slow +idempotent$/m);
  });

  it('prints the description as JSON with --json', async () => {
    const r = await runCli(['describe', calc.url, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      {
        service: 'calc',
        methods: [
          { name: 'add', idempotent: false },
          { name: 'div', idempotent: false },
          { name: 'slow', idempotent: true },
          { name: 'echo', idempotent: true },
        ],
      },
    ]);
  });

  it('says so when the server has introspection off', async () => {
    const r = await runCli(['describe', closed.url]);
    expect(r.code).toBe(exitCodeForRpcError('NOT_FOUND'));
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^NOT_FOUND: .*introspection is turned off/);
  });
});

describe('udprpc ping', () => {
  it('prints one line per probe and a summary', async () => {
    const r = await runCli(['ping', calc.url, '-c', '3', '-i', '10', '--timeout', '2000']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^PING udp:\/\/127\.0\.0\.1:\d+ \(127\.0\.0\.1:\d+\)/);
    expect(r.stdout.match(/^pong from 127\.0\.0\.1:\d+: seq=\d time=\d+\.\d{3} ms$/gm)).toHaveLength(3);
    expect(r.stdout).toMatch(/^3 probes transmitted, 3 received, 0% loss, time \d+ms$/m);
    expect(r.stdout).toMatch(/^rtt min\/avg\/max\/mdev = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms$/m);
  });

  it('counts lost probes and exits 1 when nothing answers', async () => {
    const gone = await startCalcServer();
    await gone.close();
    const r = await runCli(['ping', gone.url, '-c', '2', '-i', '0', '--timeout', '50']);
    expect(r.code).toBe(ExitCode.FAILURE);
    expect(r.stdout).toMatch(/^2 probes transmitted, 0 received, 100% loss/m);
    expect(r.stdout).not.toMatch(/rtt min/);
  });

  it('stops early on abort and still prints the summary', async () => {
    const controller = new AbortController();
    controller.abort();
    const r = await runCli(['ping', calc.url, '-c', '100'], { signal: controller.signal });
    expect(r.code).toBe(ExitCode.FAILURE);
    expect(r.stdout).toMatch(/^0 probes transmitted/m);
  });
});

describe('udprpc bench', () => {
  it('reports calls/s, percentiles and a histogram', async () => {
    const r = await runCli(['bench', calc.url, 'calc.add', '{"a":1,"b":2}', '--concurrency', '4', '--duration', '200ms']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/calc\.add: \d+ calls in [\d.]+ s with 4 callers — [\d.]+ calls\/s/);
    for (const p of ['p50', 'p90', 'p99', 'p99.9', 'max']) expect(r.stdout).toMatch(new RegExp(`^ {2}${p.replace('.', '\\.')} +[\\d.]+$`, 'm'));
    // Every successful call is in one row of the histogram, and some row has
    // a bar (its first row may be an empty bucket below the fastest call).
    const ok = Number(/^ {2}(\d+) ok, 0 failed$/m.exec(r.stdout)?.[1]);
    const rows = (r.stdout.split('latency histogram:\n')[1] ?? '').split('\n').filter((line) => / ms /.test(line));
    const counts = rows.map((line) => Number(/(\d+) +[\d.]+%$/.exec(line)?.[1]));
    expect(rows.length).toBeGreaterThan(1);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(ok);
    expect(rows.some((line) => line.includes('█'))).toBe(true);
    expect(r.stderr).toMatch(/\[[█░]+\] +\d+%/);
  });

  it('counts errors by code', async () => {
    const r = await runCli(['bench', calc.url, 'calc.div', '{"a":1,"b":0}', '--concurrency', '2', '--duration', '100ms']);
    expect(r.code).toBe(ExitCode.FAILURE);
    expect(r.stdout).toMatch(/^errors by code:\n {2}INVALID_ARGUMENT +\d+ {2}\(division by zero\)$/m);
  });
});

describe('help and usage', () => {
  it.each([[['--help']], [['-h']], [['help']]])('%j prints the tool help with the exit codes', async (argv) => {
    const r = await runCli(argv);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Commands:$/m);
    expect(r.stdout).toMatch(/^ {2}6 +DEADLINE_EXCEEDED$/m);
    expect(r.stdout).toMatch(/^ {2}64 +usage error/m);
  });

  it.each(['call', 'describe', 'ping', 'bench'])('help for %s: `help %s`, `%s --help`, `%s -h`', async (command) => {
    const viaHelp = await runCli(['help', command]);
    const viaFlag = await runCli([command, '--help']);
    const viaShort = await runCli([command, '-h']);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toMatch(new RegExp(`^Usage:\\n {2}udprpc ${command} `, 'm'));
    expect(viaFlag).toEqual(viaHelp);
    expect(viaShort).toEqual(viaHelp);
  });

  it.each([
    [[], /missing command/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['--verbose'], /unknown option --verbose/],
    [['help', 'frobnicate'], /unknown command "frobnicate"/],
    [['call', 'udp://127.0.0.1:1', 'calc.add', '--bogus'], /Unknown option '--bogus'/],
    [['call', 'udp://127.0.0.1:1'], /missing the method/],
    [['call', 'http://127.0.0.1:1', 'calc.add'], /unsupported scheme/],
    [['call', 'udp://127.0.0.1:1', 'add'], /expected service\.method/],
    [['call', 'udp://127.0.0.1:1', 'calc.add', '{}', 'extra'], /unexpected argument "extra"/],
    [['describe'], /missing the server URL/],
    [['ping', 'udp://127.0.0.1:1', '-c', '0'], /--count "0"/],
    [['ping', 'udp://127.0.0.1:1', '-c'], /argument missing/],
    [['bench', 'udp://127.0.0.1:1', 'calc.add', '--duration', '10'], /--duration "10": expected a duration/],
    [['bench', 'udp://127.0.0.1:1', 'calc.add', '--concurrency', '-3'], /--concurrency/],
  ])('%j is a usage error: exit 64, usage on stderr', async (argv, message) => {
    const r = await runCli(argv);
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/^Usage:$/m);
  });
});
