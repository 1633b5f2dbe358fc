import {
  decodeErrorBody,
  decodeFrame,
  decodeRequestBody,
  encodeErrorBody,
  encodeFrame,
  encodeMethodName,
  encodeRequestBody,
  encodeRequestFrame,
  Flag,
  FRAGMENT_EXT_BYTES,
  FrameType,
  HEADER_BYTES,
  MAGIC,
  MAX_METHOD_BYTES,
  NO_DEADLINE,
  VERSION,
  type FragmentInfo,
  type FrameError,
  type FrameHeader,
} from '@udprpc/core/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { setAttempt } from '../src/wire/frame-header.js';
import { MAX_ERROR_MESSAGE_BYTES } from '../src/wire/error-body.js';

// Fixed run counts; fast-check prints the seed and counterexample on failure.
const runs = { numRuns: 500 };
const fuzzRuns = { numRuns: 2000 };

const frameErrors: readonly FrameError[] = ['truncated', 'bad-magic', 'unsupported-version', 'unknown-type', 'malformed'];

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const frameType = fc.integer({ min: 1, max: 11 }).map((t) => t as FrameType);
const header: fc.Arbitrary<FrameHeader> = fc.record({
  type: frameType,
  flags: fc.integer({ min: 0, max: 255 }),
  attempt: fc.integer({ min: 0, max: 255 }),
  session: u32,
  id: u32,
});
const body = fc.uint8Array({ maxLength: 300 });

const filled = (size: number, fill: number): Uint8Array => new Uint8Array(size).map((_, i) => (i * 31 + fill) & 0xff);

/** A fragment description and a body of exactly the length it implies. */
const fragmentWithBody: fc.Arbitrary<{ fragment: FragmentInfo; body: Uint8Array }> = fc.oneof(
  // Small fragments at any position of messages of any u32 size.
  fc
    .record({
      fragmentBytes: fc.integer({ min: 1, max: 64 }),
      totalBytes: fc.oneof(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 1, max: 0xffff_ffff })),
      indexSeed: fc.nat(),
      last: fc.boolean(),
      fill: fc.integer({ min: 0, max: 255 }),
    })
    .map(({ fragmentBytes, totalBytes, indexSeed, last, fill }) => {
      const count = Math.ceil(totalBytes / fragmentBytes);
      const index = last ? count - 1 : indexSeed % count;
      const size = index === count - 1 ? totalBytes - index * fragmentBytes : fragmentBytes;
      return { fragment: { totalBytes, index, fragmentBytes }, body: filled(size, fill) };
    }),
  // Any u16 fragment size; the last fragment, kept short so runs stay fast.
  fc
    .record({
      fragmentBytes: fc.integer({ min: 1, max: 0xffff }),
      count: fc.integer({ min: 1, max: 0xffff }),
      tail: fc.integer({ min: 1, max: 64 }),
      fill: fc.integer({ min: 0, max: 255 }),
    })
    .map(({ fragmentBytes, count, tail, fill }) => {
      const size = Math.min(tail, fragmentBytes);
      const totalBytes = (count - 1) * fragmentBytes + size;
      return { fragment: { totalBytes, index: count - 1, fragmentBytes }, body: filled(size, fill) };
    }),
);

const validFrame = fc.oneof(
  fc.tuple(header, body).map(([h, b]) => encodeFrame(h, b)),
  fc.tuple(header, fragmentWithBody).map(([h, { fragment, body: b }]) => encodeFrame(h, b, fragment)),
);

const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');
/** Whether `s` survives UTF-8 (no lone surrogates). */
const isWellFormed = (s: string): boolean => Buffer.from(s, 'utf8').toString('utf8') === s;
/** The longest prefix of `s`, in whole code points, that fits in `max` UTF-8 bytes. */
const fitUtf8 = (s: string, max: number): string => {
  let out = '';
  for (const cp of s) {
    if (utf8Length(out + cp) > max) break;
    out += cp;
  }
  return out;
};
const text = fc
  .oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 120 }), fc.string({ unit: 'binary', maxLength: 80 }))
  .filter(isWellFormed);
const methodName = fc.oneof(
  text.map((s) => fitUtf8(s, MAX_METHOD_BYTES)),
  fc.constantFrom('a'.repeat(255), 'é'.repeat(127) + 'a', '😀'.repeat(63) + 'abc', '€'.repeat(85), 'calc.add', ''),
);

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
};

const expectFrameError = (bytes: Uint8Array, error: FrameError): void => {
  expect(decodeFrame(bytes)).toEqual({ ok: false, error });
};

describe('encodeFrame / decodeFrame', () => {
  it('round-trips every header and body without a fragment extension', () => {
    fc.assert(
      fc.property(header, body, (h, b) => {
        const bytes = encodeFrame(h, b);
        expect(bytes.length).toBe(HEADER_BYTES + b.length);
        const r = decodeFrame(bytes);
        expect(r).toEqual({ ok: true, value: { ...h, flags: h.flags & ~Flag.FRAGMENT, fragment: undefined, body: b } });
      }),
      runs,
    );
  });

  it('round-trips every header, consistent fragment extension and body', () => {
    fc.assert(
      fc.property(header, fragmentWithBody, (h, { fragment, body: b }) => {
        const bytes = encodeFrame(h, b, fragment);
        expect(bytes.length).toBe(HEADER_BYTES + FRAGMENT_EXT_BYTES + b.length);
        const r = decodeFrame(bytes);
        expect(r).toEqual({ ok: true, value: { ...h, flags: h.flags | Flag.FRAGMENT, fragment, body: b } });
      }),
      runs,
    );
  });

  it('writes magic, version and the big-endian fields at their protocol offsets', () => {
    const bytes = encodeFrame(
      { type: FrameType.ERROR, flags: Flag.NO_REPLY, attempt: 7, session: 0x0102_0304, id: 0xa0b0_c0d0 },
      Uint8Array.of(0xee),
      { totalBytes: 0x0000_0101, index: 1, fragmentBytes: 0x0100 },
    );
    expect([...bytes]).toEqual([
      MAGIC >> 8, MAGIC & 0xff, VERSION, FrameType.ERROR, Flag.NO_REPLY | Flag.FRAGMENT, 7,
      0x01, 0x02, 0x03, 0x04, 0xa0, 0xb0, 0xc0, 0xd0,
      0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00,
      0xee,
    ]);
    expect([...bytes.subarray(0, 3)]).toEqual([0x75, 0x72, 1]); // "ur", v1
  });

  it('returns the body as a view into the datagram, not a copy', () => {
    const bytes = encodeFrame({ type: FrameType.RESPONSE, flags: 0, attempt: 0, session: 1, id: 2 }, Uint8Array.of(1, 2, 3));
    const r = decodeFrame(bytes);
    if (!r.ok) throw new Error(r.error);
    expect(r.value.body.buffer).toBe(bytes.buffer);
    expect(r.value.body.byteOffset).toBe(HEADER_BYTES);
  });

  it('saturates the attempt number at 255, also through setAttempt', () => {
    fc.assert(
      fc.property(header, fc.integer({ min: 256, max: 2 ** 40 }), (h, attempt) => {
        const bytes = encodeFrame({ ...h, attempt }, new Uint8Array(0));
        expect(decodeFrame(bytes)).toMatchObject({ ok: true, value: { attempt: 255 } });
        setAttempt(bytes, 3);
        expect(decodeFrame(bytes)).toMatchObject({ ok: true, value: { attempt: 3 } });
        setAttempt(bytes, attempt);
        expect(decodeFrame(bytes)).toMatchObject({ ok: true, value: { attempt: 255 } });
      }),
      runs,
    );
  });

  it('re-encodes every frame it accepts to exactly the same bytes (one encoding per frame)', () => {
    const candidate = fc.oneof(
      validFrame,
      fc.tuple(validFrame, fc.nat(), fc.integer({ min: 0, max: 7 })).map(([f, at, bit]) => {
        const copy = f.slice();
        copy[at % copy.length]! ^= 1 << bit;
        return copy;
      }),
      fc.tuple(fc.integer({ min: 1, max: 11 }), fc.uint8Array({ minLength: 10, maxLength: 60 })).map(([type, rest]) =>
        concat(Uint8Array.of(0x75, 0x72, 1, type), rest),
      ),
    );
    fc.assert(
      fc.property(candidate, (bytes) => {
        const r = decodeFrame(bytes);
        if (!r.ok) return;
        const { body: b, fragment, ...h } = r.value;
        expect(encodeFrame(h, b, fragment)).toEqual(bytes);
      }),
      fuzzRuns,
    );
  });
});

describe('decodeFrame never throws', () => {
  const check = (bytes: Uint8Array): void => {
    const r = decodeFrame(bytes);
    if (!r.ok) expect(frameErrors).toContain(r.error);
  };

  it('for arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), check), fuzzRuns);
  });

  it('for arbitrary bytes behind a valid magic, version and type', () => {
    fc.assert(
      fc.property(frameType, fc.uint8Array({ maxLength: 60 }), (type, rest) => check(concat(Uint8Array.of(0x75, 0x72, 1, type), rest))),
      fuzzRuns,
    );
  });

  it('for valid frames with flipped bits', () => {
    fc.assert(
      fc.property(validFrame, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 }), (frame, flips) => {
        const bytes = frame.slice();
        for (const [at, bit] of flips) bytes[at % bytes.length]! ^= 1 << bit;
        check(bytes);
      }),
      fuzzRuns,
    );
  });

  it('for truncated and extended valid frames', () => {
    fc.assert(
      fc.property(validFrame, fc.nat(), fc.uint8Array({ maxLength: 16 }), (frame, cut, extra) => {
        check(frame.subarray(0, cut % (frame.length + 1)));
        check(concat(frame, extra));
      }),
      fuzzRuns,
    );
  });
});

describe('decodeFrame errors', () => {
  it('reports truncated for anything shorter than the fixed header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: HEADER_BYTES - 1 }), (bytes) => expectFrameError(bytes, 'truncated')),
      runs,
    );
    // Even the first 13 bytes of a valid frame.
    expectFrameError(encodeFrame({ type: 1, flags: 0, attempt: 0, session: 1, id: 1 }, new Uint8Array(0)).subarray(0, 13), 'truncated');
  });

  it('reports truncated for a FRAGMENT flag without a whole fragment extension', () => {
    fc.assert(
      fc.property(header, fragmentWithBody, fc.integer({ min: HEADER_BYTES, max: HEADER_BYTES + FRAGMENT_EXT_BYTES - 1 }), (h, { fragment, body: b }, n) => {
        expectFrameError(encodeFrame(h, b, fragment).subarray(0, n), 'truncated');
      }),
      runs,
    );
  });

  it('reports bad-magic, unsupported-version and unknown-type, in that order', () => {
    fc.assert(
      fc.property(
        validFrame,
        fc.integer({ min: 0, max: 0xffff }).filter((m) => m !== MAGIC),
        fc.integer({ min: 0, max: 255 }).filter((v) => v !== VERSION),
        fc.oneof(fc.constant(0), fc.integer({ min: FrameType.GOAWAY + 1, max: 255 })),
        (frame, magic, version, type) => {
          const bytes = frame.slice();
          bytes[3] = type;
          expectFrameError(bytes, 'unknown-type');
          bytes[2] = version;
          expectFrameError(bytes, 'unsupported-version');
          bytes[0] = magic >> 8;
          bytes[1] = magic & 0xff;
          expectFrameError(bytes, 'bad-magic');
        },
      ),
      runs,
    );
  });

  it('accepts every known frame type and no other', () => {
    const h = { flags: 0, attempt: 0, session: 0, id: 0 };
    for (let type = 0; type <= 255; type++) {
      const bytes = encodeFrame({ ...h, type: 1 }, new Uint8Array(0));
      bytes[3] = type;
      expect(decodeFrame(bytes).ok, `type ${type}`).toBe(type >= FrameType.REQUEST && type <= FrameType.GOAWAY);
    }
  });

  it('reports malformed when the body length does not match the fragment extension', () => {
    fc.assert(
      fc.property(header, fragmentWithBody, fc.integer({ min: -64, max: 64 }).filter((d) => d !== 0), (h, { fragment, body: b }, delta) => {
        fc.pre(b.length + delta >= 0);
        const other = new Uint8Array(b.length + delta);
        expectFrameError(encodeFrame(h, other, fragment), 'malformed');
      }),
      runs,
    );
  });

  it('reports malformed for a fragment index past the last fragment', () => {
    fc.assert(
      fc.property(header, fragmentWithBody, fc.nat(), (h, { fragment, body: b }, past) => {
        const count = Math.ceil(fragment.totalBytes / fragment.fragmentBytes);
        const index = count + (past % (0xffff_ffff - count + 1));
        expectFrameError(encodeFrame(h, b, { ...fragment, index }), 'malformed');
      }),
      runs,
    );
  });

  it('reports malformed for zero fragmentBytes or an empty fragmented message', () => {
    const h = { type: FrameType.RESPONSE, flags: 0, attempt: 0, session: 0, id: 0 };
    expectFrameError(encodeFrame(h, new Uint8Array(0), { totalBytes: 0, index: 0, fragmentBytes: 0 }), 'malformed');
    expectFrameError(encodeFrame(h, new Uint8Array(0), { totalBytes: 10, index: 0, fragmentBytes: 0 }), 'malformed');
    expectFrameError(encodeFrame(h, new Uint8Array(0), { totalBytes: 0, index: 0, fragmentBytes: 5 }), 'malformed');
    // The boundary cases that are consistent:
    expect(decodeFrame(encodeFrame(h, new Uint8Array(5), { totalBytes: 10, index: 1, fragmentBytes: 5 })).ok).toBe(true);
    expect(decodeFrame(encodeFrame(h, new Uint8Array(1), { totalBytes: 11, index: 2, fragmentBytes: 5 })).ok).toBe(true);
    expectFrameError(encodeFrame(h, new Uint8Array(5), { totalBytes: 11, index: 2, fragmentBytes: 5 }), 'malformed');
    const full = { totalBytes: 0x1_0000, index: 0, fragmentBytes: 0xffff };
    expect(decodeFrame(encodeFrame(h, new Uint8Array(0xffff), full))).toMatchObject({ ok: true, value: { fragment: full } });
    expectFrameError(encodeFrame(h, new Uint8Array(0xfffe), full), 'malformed');
  });
});

describe('REQUEST body', () => {
  it('round-trips deadline, in-flight span, incarnation, codec, method names up to 255 UTF-8 bytes (any script) and payload', () => {
    fc.assert(
      fc.property(u32, u32, u32, fc.integer({ min: 0, max: 255 }), methodName, body, (deadlineMs, inFlightSpan, incarnation, codec, method, payload) => {
        const encoded = encodeMethodName(method);
        expect(encoded.length).toBeLessThanOrEqual(MAX_METHOD_BYTES);
        const bytes = encodeRequestBody(deadlineMs, encoded, payload, inFlightSpan, incarnation, codec);
        expect(bytes.length).toBe(14 + encoded.length + payload.length);
        expect(decodeRequestBody(bytes)).toEqual({ ok: true, value: { deadlineMs, inFlightSpan, incarnation, codec, method, payload } });
      }),
      runs,
    );
  });

  it('clamps the deadline into u32: negative and NaN to 0, fractions down, huge to NO_DEADLINE', () => {
    const deadlineOf = (ms: number): number => {
      const r = decodeRequestBody(encodeRequestBody(ms, new Uint8Array(0), new Uint8Array(0)));
      if (!r.ok) throw new Error(r.error);
      return r.value.deadlineMs;
    };
    expect(deadlineOf(-5)).toBe(0);
    expect(deadlineOf(NaN)).toBe(0);
    expect(deadlineOf(1.9)).toBe(1);
    expect(deadlineOf(0xffff_fffe)).toBe(0xffff_fffe);
    expect(deadlineOf(2 ** 40)).toBe(NO_DEADLINE);
    expect(deadlineOf(Infinity)).toBe(NO_DEADLINE);
  });

  it('never throws, and reports truncated or malformed bodies', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const r = decodeRequestBody(bytes);
        if (!r.ok) expect(['truncated', 'malformed']).toContain(r.error);
      }),
      fuzzRuns,
    );
    expect(decodeRequestBody(new Uint8Array(13))).toEqual({ ok: false, error: 'truncated' });
    const fixed = [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    // Says 3 method bytes, has 2.
    expect(decodeRequestBody(Uint8Array.of(...fixed, 3, 0x61, 0x62))).toEqual({ ok: false, error: 'truncated' });
    // Method bytes that are not UTF-8.
    expect(decodeRequestBody(Uint8Array.of(...fixed, 2, 0xc3, 0x28))).toEqual({ ok: false, error: 'malformed' });
  });

  it('reports truncated for every strict prefix that cuts into the method name', () => {
    fc.assert(
      fc.property(u32, methodName, body, fc.nat(), (deadlineMs, method, payload, n) => {
        const encoded = encodeMethodName(method);
        const bytes = encodeRequestBody(deadlineMs, encoded, payload);
        const cut = n % (9 + encoded.length);
        expect(decodeRequestBody(bytes.subarray(0, cut))).toEqual({ ok: false, error: 'truncated' });
      }),
      runs,
    );
  });

  it('encodeRequestFrame equals encodeFrame(h, encodeRequestBody(...)) for unfragmented headers', () => {
    fc.assert(
      fc.property(header, u32, methodName, body, (h, deadlineMs, method, payload) => {
        const m = encodeMethodName(method);
        const hh = { ...h, flags: h.flags & ~Flag.FRAGMENT };
        expect(encodeRequestFrame(hh, deadlineMs, m, payload)).toEqual(encodeFrame(hh, encodeRequestBody(deadlineMs, m, payload)));
      }),
      runs,
    );
  });
});

describe('ERROR body', () => {
  const message = text.map((s) => fitUtf8(s, MAX_ERROR_MESSAGE_BYTES));

  it('round-trips code, retry-after, messages up to 1024 UTF-8 bytes and details', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), u32, message, body, (code, retryAfterMs, msg, details) => {
        const bytes = encodeErrorBody({ code, retryAfterMs, message: msg, details });
        expect(decodeErrorBody(bytes)).toEqual({ ok: true, value: { code, retryAfterMs, message: msg, details } });
      }),
      runs,
    );
  });

  it('defaults details to empty', () => {
    expect(decodeErrorBody(encodeErrorBody({ code: 14, retryAfterMs: 0, message: 'x' }))).toEqual({
      ok: true,
      value: { code: 14, retryAfterMs: 0, message: 'x', details: new Uint8Array(0) },
    });
  });

  it('truncates longer messages at a character boundary to a valid UTF-8 prefix of at most 1024 bytes', () => {
    const longMessage = fc.oneof(
      // ASCII up to just before the cut, then characters of every width straddling it.
      fc
        .tuple(fc.integer({ min: 1000, max: 1030 }), fc.array(fc.constantFrom('a', 'é', '€', '😀', '\u0800', '\u{10ffff}'), { minLength: 10, maxLength: 40 }))
        .map(([n, tail]) => 'x'.repeat(n) + tail.join('')),
      fc.string({ unit: 'grapheme', minLength: 400, maxLength: 1200 }).filter((s) => utf8Length(s) > MAX_ERROR_MESSAGE_BYTES),
    );
    fc.assert(
      fc.property(longMessage, body, (msg, details) => {
        fc.pre(utf8Length(msg) > MAX_ERROR_MESSAGE_BYTES);
        const r = decodeErrorBody(encodeErrorBody({ code: 13, retryAfterMs: 0, message: msg, details }));
        if (!r.ok) throw new Error(`decode failed: ${r.error}`);
        const got = r.value.message;
        expect(msg.startsWith(got)).toBe(true);
        expect(utf8Length(got)).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_BYTES);
        // At most one whole character (≤ 4 bytes) was cut off beyond the limit.
        expect(utf8Length(got)).toBeGreaterThan(MAX_ERROR_MESSAGE_BYTES - 4);
        expect(got).toBe(fitUtf8(msg, MAX_ERROR_MESSAGE_BYTES));
        expect(r.value.details).toEqual(details);
      }),
      runs,
    );
  });

  it('never throws, and reports truncated or malformed bodies', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const r = decodeErrorBody(bytes);
        if (!r.ok) expect(['truncated', 'malformed']).toContain(r.error);
      }),
      fuzzRuns,
    );
    expect(decodeErrorBody(new Uint8Array(6))).toEqual({ ok: false, error: 'truncated' });
    expect(decodeErrorBody(Uint8Array.of(13, 0, 0, 0, 0, 0, 2, 0x61))).toEqual({ ok: false, error: 'truncated' });
    expect(decodeErrorBody(Uint8Array.of(13, 0, 0, 0, 0, 0, 1, 0xff))).toEqual({ ok: false, error: 'malformed' });
  });
});

// ---------------------------------------------------------------------------
// Regressions: bugs once in packages/core/src/wire/frame.ts (since split into
// frame, frame-header, request-body, error-body and batch in wire/), each
// fixed; the test states the correct behaviour.

describe('regressions (fixed)', () => {
  // encodeRequestFrame (writeHeader(buf, h)): unlike encodeFrame it did not
  // clear Flag.FRAGMENT, so a header with flags & 0x01 yielded a
  // "fragmented" frame with no fragment extension: decodeFrame then read the
  // deadline/method bytes as the extension (usually 'malformed').
  it('encodeRequestFrame equals encodeFrame(h, encodeRequestBody(...)) for every flags byte', () => {
    fc.assert(
      fc.property(header, u32, methodName, body, (h, deadlineMs, method, payload) => {
        const m = encodeMethodName(method);
        expect(encodeRequestFrame(h, deadlineMs, m, payload)).toEqual(encodeFrame(h, encodeRequestBody(deadlineMs, m, payload)));
      }),
      runs,
    );
  });

  // encodeRequestBody / encodeRequestFrame (`body[4] = method.length`): a
  // method name over 255 bytes was not rejected; its length was stored mod 256,
  // so the peer decoded a different method and a corrupted payload.
  it('encodeRequestBody never yields a body that decodes to another method (throws instead)', () => {
    const method = encodeMethodName('m'.repeat(256));
    let bytes: Uint8Array;
    try {
      bytes = encodeRequestBody(1000, method, Uint8Array.of(1));
    } catch {
      return; // rejecting the name is fine
    }
    expect(decodeRequestBody(bytes)).toMatchObject({ ok: true, value: { method: 'm'.repeat(256) } });
  });

  // utf8Decoder (`new TextDecoder('utf-8', { fatal: true })`): without
  // `ignoreBOM: true` the decoder stripped a leading U+FEFF, so a method
  // name or error message starting with it did not round-trip.
  it('round-trips an error message that starts with U+FEFF', () => {
    const r = decodeErrorBody(encodeErrorBody({ code: 2, retryAfterMs: 0, message: '\ufeffhello' }));
    expect(r).toMatchObject({ ok: true, value: { message: '\ufeffhello' } });
  });
});
