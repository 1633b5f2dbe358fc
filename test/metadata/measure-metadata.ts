// Measures what a decoded Metadata retains (wire/metadata.ts
// `metadataRetainedBytes` cites these figures):
//   node --expose-gc --import tsx --conditions=@udprpc/source test/metadata/measure-metadata.ts
import type { Metadata, MetadataInit } from '@udprpc/core';
import { decodeMetadataBlock, encodeMetadataBlock, metadataRetainedBytes } from '@udprpc/core/wire';

const N = 20_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

function measure(name: string, init: MetadataInit): void {
  const block = encodeMetadataBlock(init, 65_537) as Uint8Array;
  const keep: unknown[] = [];
  gc!();
  gc!();
  const before = process.memoryUsage();
  for (let i = 0; i < N; i++) keep.push(decodeMetadataBlock(block.slice()));
  gc!();
  gc!();
  const after = process.memoryUsage();
  const retained = (after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers)) / N;
  const charged = metadataRetainedBytes(keep[0] as Metadata);
  console.log(`${name}: block ${block.length} B, retained ${retained.toFixed(0)} B, charged ${charged} B${charged < retained ? '  << UNDER' : ''}`);
}

measure('one short string', { a: 'x' });
measure('authorization', { authorization: `Bearer ${'x'.repeat(40)}` });
measure('trace context', { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, tracestate: 'k=v' });
measure('one 16-byte value', { bin: new Uint8Array(16) });
measure('8 strings', Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`key${i}`, 'v'.repeat(20)])));
measure('4000-character string', { big: 'x'.repeat(4000) });
measure('1001 characters, one wide', { wide: `${'x'.repeat(1000)}中` });
measure('two byte values', { b1: new Uint8Array(1000), b2: new Uint8Array(3) });
