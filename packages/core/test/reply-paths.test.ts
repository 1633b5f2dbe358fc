// The server's per-source reply datagram size (server/reply-paths.ts,
// protocol.md §7.5): what a client's probe lets it use, capped by what the
// transport can send to that peer, never below the base size; a black hole
// takes it back to the base size, counted once.
import { describe, expect, it } from 'vitest';
import { ReplyPaths } from '../src/server/reply-paths.js';
import { defaultSourceLimits } from '../src/server/source-limits.js';
import { SourceTable } from '../src/server/source-table.js';
import type { PeerAddress } from '../src/transport/transport.js';

const P: PeerAddress = { address: '10.0.0.1', family: 'sim', port: 1 };
const probe = (confirmedBytes: number) => ({ session: 1, id: 1, probeBytes: 1500, confirmedBytes });

describe('ReplyPaths', () => {
  it('the base size until a probe confirms more; then the confirmed size, capped by the transport', () => {
    const paths = new ReplyPaths(new SourceTable(defaultSourceLimits), 1200, () => 9000.7);
    expect(paths.bytesFor('p', 0)).toBe(1200);
    paths.onProbe(probe(1472), P, 'p', 0);
    expect(paths.bytesFor('p', 0)).toBe(1472);
    paths.onProbe(probe(65_507), P, 'p', 1);
    expect(paths.bytesFor('p', 1)).toBe(9000);
    paths.onProbe(probe(1200), P, 'p', 2); // not above the base: back to it
    expect(paths.bytesFor('p', 2)).toBe(1200);
    paths.onProbe(probe(1201), P, 'p', 3);
    expect(paths.bytesFor('p', 3)).toBe(1201);
  });

  it('without a per-peer limit, and with one below the base, the base size bounds it', () => {
    const none = new ReplyPaths(new SourceTable(defaultSourceLimits), 1200, undefined);
    none.onProbe(probe(1472), P, 'p', 0);
    expect(none.bytesFor('p', 0)).toBe(1200);
    const low = new ReplyPaths(new SourceTable(defaultSourceLimits), 1200, () => 500);
    low.onProbe(probe(1472), P, 'p', 0);
    expect(low.bytesFor('p', 0)).toBe(1200);
  });

  it('a black hole goes back to the base size, counted once', () => {
    const paths = new ReplyPaths(new SourceTable(defaultSourceLimits), 1200, () => 9000);
    paths.blackHole('p', 0);
    expect(paths.blackHoles).toBe(0);
    paths.onProbe(probe(1472), P, 'p', 0);
    paths.blackHole('p', 1);
    paths.blackHole('p', 2);
    expect([paths.blackHoles, paths.bytesFor('p', 2)]).toEqual([1, 1200]);
  });
});
