// Writes docs/test-vectors/*.json from the generators:
//   npx tsx --conditions=@udprpc/source test/wire/write-test-vectors.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { VECTOR_DIR, vectorFiles } from './test-vector-files.js';

mkdirSync(VECTOR_DIR, { recursive: true });
for (const [name, text] of Object.entries(vectorFiles())) {
  writeFileSync(new URL(name, VECTOR_DIR), text);
  console.log(`wrote docs/test-vectors/${name}`);
}
