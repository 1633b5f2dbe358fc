// Prints the byte strings of protocol.md Appendix A, as the encoders make
// them: npx tsx --conditions=@udprpc/source test/wire/print-appendix-a.ts
import { appendixA, appendixSizes, hex } from './appendix-a.js';

for (const [label, bytes] of Object.entries(appendixA())) console.log(`${label} (${bytes.length} bytes):\n${hex(bytes)}\n`);
console.log(appendixSizes());
