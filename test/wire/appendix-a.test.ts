// protocol.md Appendix A shows exactly the bytes the encoders and engines
// produce (issue 12: the appendix had gone stale when the REQUEST layout
// changed). Regenerate with: npx tsx --conditions=@udprpc/source test/wire/print-appendix-a.ts
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeFrame, decodeRequestBody } from '@udprpc/core/wire';
import { msgpackCodec } from '@udprpc/codec-msgpack';
import { appendixA, appendixSizes, hex } from './appendix-a.js';

const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
const appendix = doc.slice(doc.indexOf('## Appendix A'));
/** The appendix as one line of text: every run of whitespace (and backticks) is one space. */
const flat = appendix.replace(/[`\s]+/g, ' ');

describe('protocol.md Appendix A', () => {
  it.each(Object.entries(appendixA()))('%s is in the appendix, byte for byte', (_label, bytes) => {
    expect(flat).toContain(` ${hex(bytes)} `);
  });

  it('states the sizes of its examples', () => {
    const sizes = appendixSizes();
    expect(sizes).toEqual({ 'A.1': 43, 'A.7': 104, 'A.8 body': 3022, 'A.10': 80 });
    expect(appendix).toContain('**A.1 REQUEST, first transmission** (43 bytes)');
    expect(appendix).toContain('one 104-byte datagram (14 + 2 × (2 + 43))');
    expect(appendix).toContain('14 + 8 + 3000 = 3022 = `0x0BCE` bytes');
    expect(appendix).toContain('refuses call 7 (80 bytes)');
  });

  it('A.1 decodes to the fields its table lists', () => {
    const f = decodeFrame(appendixA()['A.1']!);
    if (!f.ok) throw new Error(f.error);
    expect(f.value).toMatchObject({ type: 1, flags: 0, attempt: 0, session: 0x1a2b3c4d, id: 7, fragment: undefined });
    const body = decodeRequestBody(f.value.body);
    if (!body.ok) throw new Error(body.error);
    expect(body.value).toMatchObject({ deadlineMs: 5000, inFlightSpan: 0, incarnation: 0, codec: 1, method: 'calc.add' });
    expect(hex(body.value.payload)).toBe('82 a1 61 01 a1 62 02');
  });
});

describe('protocol.md §5.7 examples', () => {
  const section = doc.slice(doc.indexOf('### §5.7 Payload codecs'), doc.indexOf('## §6 '));
  const flatSection = section.replace(/[`\s]+/g, ' ');

  it('the MessagePack profile table shows what the codec writes and reads', () => {
    const rows: [unknown, string][] = [
      [{ a: 1, b: 2 }, '82 a1 61 01 a1 62 02'],
      [Uint8Array.of(0, 1, 2), 'c4 03 00 01 02'],
      [new Date(0), 'd6 ff 00 00 00 00'],
      [new Map([[1, 'a']]), '81 01 a1 61'],
      [2n ** 53n + 1n, 'd3 00 20 00 00 00 00 00 01'],
    ];
    for (const [value, bytes] of rows) {
      expect(flatSection).toContain(` ${bytes} `);
      expect(hex(msgpackCodec.encode(value))).toBe(bytes);
      const back = msgpackCodec.decode(msgpackCodec.encode(value));
      expect(back.ok && back.value).toStrictEqual(value);
    }
  });

  it("the udprpc.describe example is the reply payload of server.json's describe exchange", () => {
    const payload = hex(msgpackCodec.encode([{ service: 'calc', methods: [{ name: 'add', idempotent: false }] }]));
    expect(flatSection).toContain(` ${payload} `);
  });
});
