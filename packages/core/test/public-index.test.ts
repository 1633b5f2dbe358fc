// The public surface of @udprpc/core (issue 13): the main entry holds what an
// application, a transport or a codec author works with — at most ~40 names —
// and the protocol's pieces come from the subpath exports (`/wire`,
// `/engine`, `/contract`). The lists are exact: a name added to or dropped
// from an entry point must be added to or dropped from here, on purpose.
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const srcDir = new URL('../src/', import.meta.url);

/** Every name an entry point exports (values and types), from its export clauses. */
function exportedNames(entry: string): string[] {
  const file = ts.createSourceFile(entry, readFileSync(new URL(entry, srcDir), 'utf8'), ts.ScriptTarget.ES2022);
  const names: string[] = [];
  for (const statement of file.statements) {
    if (!ts.isExportDeclaration(statement)) throw new Error(`${entry}: only export clauses belong in an entry point`);
    const clause = statement.exportClause;
    if (clause === undefined || !ts.isNamedExports(clause)) throw new Error(`${entry}: no \`export *\` (the list must be explicit)`);
    for (const element of clause.elements) names.push(element.name.text);
  }
  return names.sort();
}

const ROOT = [
  'Clock',
  'Code',
  'Codec',
  'CodecId',
  'Contract',
  'DatagramHandler',
  'DatagramMeta',
  'DedupPolicy',
  'DropReason',
  'ErrorCode',
  'FIRST_PRIVATE_CODEC_ID',
  'HandlerInputOf',
  'HandlerOutputOf',
  'HealthStatus',
  'InputOf',
  'LatencyHistogram',
  'Metadata',
  'MetadataInit',
  'MetadataValue',
  'MethodDef',
  'MethodOptions',
  'OutputOf',
  'PeerAddress',
  'RetryBudgetPolicy',
  'RetryPolicy',
  'RpcError',
  'RpcErrorOptions',
  'StandardSchemaV1',
  'TimerHandle',
  'Transport',
  'UnreachableHandler',
  'ValidationDetails',
  'ValidationIssue',
  'defaultRetryPolicy',
  'defineContract',
  'formatPeer',
  'isErrorCode',
  'jsonCodec',
  'method',
  'systemClock',
];

describe('@udprpc/core public index', () => {
  it('exports exactly these 40 names, values and types', () => {
    const names = exportedNames('index.ts');
    expect(names).toEqual([...ROOT].sort());
    expect(names).toHaveLength(40);
  });

  it('its runtime exports are the value names of that list', async () => {
    const runtime = Object.keys(await import('../src/index.js')).sort();
    expect(runtime).toEqual(['Code', 'CodecId', 'FIRST_PRIVATE_CODEC_ID', 'Metadata', 'RpcError', 'defaultRetryPolicy', 'defineContract', 'formatPeer', 'isErrorCode', 'jsonCodec', 'method', 'systemClock']);
  });

  it('the subpath entries do not repeat the main entry, except the contract layer, which is whole in /contract', () => {
    const root = new Set(ROOT);
    expect(exportedNames('wire/index.ts').filter((n) => root.has(n))).toEqual(['DropReason']);
    expect(exportedNames('engine/index.ts').filter((n) => root.has(n))).toEqual([]);
    expect(exportedNames('contract/index.ts').filter((n) => !root.has(n))).toEqual([
      'AnyMethodDef',
      'AnySchema',
      'Carriable',
      'CarriableArgs',
      'CarriedTypes',
      'HEALTH_METHOD',
      'HEALTH_STATUSES',
      'HealthCheckRequest',
      'HealthCheckResponse',
      'MethodMap',
      'NoReservedNames',
      'NotCarriable',
      'RESERVED_METHOD_NAMES',
      'ReservedMethodName',
      'SchemaMethodDef',
      'SchemaMethodOptions',
      'StandardJSONSchemaV1Converter',
      'invalidArgument',
      'isHealthStatus',
      'isPromiseLike',
      'issuesOf',
      'wireName',
    ]);
  });

  it('every subpath in package.json exports names its index in src (@udprpc/source), dist types and dist code', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { exports: Record<string, Record<string, string>> };
    const expected = (dir: string): Record<string, string> => ({
      '@udprpc/source': `./src/${dir}index.ts`,
      types: `./dist/${dir}index.d.ts`,
      default: `./dist/${dir}index.js`,
    });
    expect(manifest.exports).toEqual({ '.': expected(''), './wire': expected('wire/'), './engine': expected('engine/'), './contract': expected('contract/') });
  });
});
