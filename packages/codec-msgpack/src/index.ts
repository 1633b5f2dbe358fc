/**
 * @udprpc/codec-msgpack — a MessagePack `Codec` for udprpc, built on msgpackr,
 * whose payloads each decode on their own, as datagrams require.
 *
 * @packageDocumentation
 * @module @udprpc/codec-msgpack
 */
export { createMsgpackCodec, msgpackCodec, type MsgpackCodecOptions } from './msgpack-codec.js';
