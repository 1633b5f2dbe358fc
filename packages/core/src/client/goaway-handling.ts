import type { PeerAddress } from '../transport/transport.js';
import type { Frame } from '../wire/frame.js';
import { parseGoAwayBody } from '../wire/goaway.js';
import type { ClientState } from './client-state.js';

/**
 * A draining server asks for new calls to go elsewhere (protocol.md §5.9).
 * Heeded only in the current session, from an address the client sent calls
 * to, and, when the client knows that server's incarnation, from that
 * incarnation: a sender who never saw the traffic cannot guess the session,
 * and a late GOAWAY of a server since restarted names the old incarnation.
 * What to do about it is the host's business (`hooks.onGoAway`).
 */
export function onGoAway(s: ClientState, frame: Frame, from: PeerAddress): void {
  const body = parseGoAwayBody(frame.body);
  if (typeof body === 'string') return s.drop(body, from);
  if (frame.session !== s.session) return s.drop('unknown-call', from);
  const peer = s.peers.get(from);
  if (peer === undefined) return s.drop('wrong-peer', from);
  if (peer.incarnation !== 0 && peer.incarnation !== body.incarnation) return s.drop('duplicate', from);
  s.counters.goAways++;
  s.hooks.onGoAway?.({ peer: from, drainMs: body.drainMs, incarnation: body.incarnation });
}
