// Optional peer libraries, found with import() at run time. They are not
// dependencies of the workspace: install them yourself (e.g. into
// bench/node_modules) to have them measured.

/** The optional peers, by package name. */
export const PEERS = ['k-rpc-socket', 'coap'] as const;
export type PeerName = (typeof PEERS)[number];

/** Imports a peer package, or returns undefined if it is not installed. */
export async function importPeer(name: PeerName): Promise<Record<string, unknown> | undefined> {
  try {
    const mod = (await import(name)) as Record<string, unknown> & { default?: unknown };
    return (mod.default ?? mod) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
