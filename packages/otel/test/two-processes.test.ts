// Trace context across two processes: the server runs in a child process
// (fixtures/traced-server.ts, under tsx with the @udprpc/source condition)
// with its own OpenTelemetry SDK, and prints its finished spans as JSON; the
// client runs here. Each server span must be in the client span's trace,
// with the client span as its parent: the W3C `traceparent` went across in
// the call's metadata over real UDP on 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { createClient } from 'udprpc';
import { afterEach, describe, expect, it } from 'vitest';
import { calc } from './fixtures/contract.js';
import { startOtel, type Otel } from './support.js';

const script = fileURLToPath(new URL('./fixtures/traced-server.ts', import.meta.url));
const root = fileURLToPath(new URL('../../..', import.meta.url));

interface SpanJson {
  name: string;
  kind: SpanKind;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
  status: { code: SpanStatusCode; message?: string };
}

let otel: Otel | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
  await otel?.shutdown();
  otel = undefined;
});

/** Starts the server process; resolves with its port and a promise of its span JSON line and exit code. */
function startServer(calls: number): Promise<{ port: number; result: Promise<{ spans: SpanJson[]; code: number | null; stderr: string }> }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=@udprpc/source', script, String(calls)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0', NODE_OPTIONS: '' },
    });
    child = proc;
    let stderr = '';
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const lines: string[] = [];
    const exited = new Promise<number | null>((done) => proc.once('close', done));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      lines.push(line);
      const listening = /^listening (\d+)$/.exec(line);
      if (listening !== null) {
        const result = exited.then((code) => ({ spans: lines.length > 1 ? (JSON.parse(lines[1]!) as SpanJson[]) : [], code, stderr }));
        resolve({ port: Number(listening[1]), result });
      }
    });
    proc.once('error', reject);
    void exited.then((code) => reject(new Error(`the server exited (${code}) before listening: ${stderr}`)));
  });
}

describe('across two processes', () => {
  it('each server span is the child of its client span (same trace, parent = client span)', async () => {
    otel = startOtel();
    const server = await startServer(2);
    const client = createClient({ url: `udp://127.0.0.1:${server.port}`, timeoutMs: 5000 });
    try {
      const stub = client.stub(calc);
      expect(await stub.add({ a: 40, b: 2 })).toBe(42);
      await expect(stub.refuse(7)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    } finally {
      await client.close();
    }
    const { spans, code, stderr } = await server.result;
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const clients = otel.spans();
    expect(clients.map((s) => [s.name, s.kind])).toEqual([
      ['calc.add', SpanKind.CLIENT],
      ['calc.refuse', SpanKind.CLIENT],
    ]);
    expect(spans.map((s) => [s.name, s.kind])).toEqual([
      ['calc.add', SpanKind.SERVER],
      ['calc.refuse', SpanKind.SERVER],
    ]);
    spans.forEach((s, i) => {
      const c = clients[i]!.spanContext();
      expect({ traceId: s.traceId, parentSpanId: s.parentSpanId }).toEqual({ traceId: c.traceId, parentSpanId: c.spanId });
    });
    // Two calls, two traces.
    expect(spans[0]!.traceId).not.toBe(spans[1]!.traceId);
    expect(spans[1]!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'refused 7' });
    expect(spans[0]!.attributes).toMatchObject({ 'rpc.system.name': 'udprpc', 'rpc.method': 'calc.add', 'network.peer.address': '127.0.0.1', 'rpc.status_code': 'OK' });
  }, 30_000);
});
