import { Packr } from 'msgpackr';

/**
 * The hand-written baseline's framing: every datagram is one msgpack array.
 * Request `[id, op, arg]`, reply `[id, result]`. Same msgpackr settings as
 * udprpc's codec where they matter (no records, maps as objects).
 */
export const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

export const OP_ADD = 1;
export const OP_ECHO = 2;
