// UTF-8 text inside frame bodies (method names, error messages): strict
// decoding, so a malformed name or message is reported rather than replaced.

/** Shared encoder for the text fields of frame bodies. */
export const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes strict UTF-8; `undefined` when the bytes are not valid UTF-8. Never throws. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

// Cuts at a character boundary so the result is still valid UTF-8.
export function truncateUtf8(bytes: Uint8Array, max: number): Uint8Array {
  let end = max;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}
