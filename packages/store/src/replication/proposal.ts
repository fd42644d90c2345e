// Log-entry payloads of the replicated store: a request id (to match the applied entry to the
// waiting proposer) and either a txn (keelson.store.v1.TxnRequest bytes, the gRPC wire form)
// or a compaction revision.
//
// Layout: 'K', kind (1 = txn, 2 = compact), id length (u8), id (UTF-8), payload.
import { TxnRequest } from '../generated/keelson/store/v1/kv';
import { compareFromPb, compareToPb, opFromPb, opToPb } from '../grpc/convert';
import type { Compare, TxnOp } from '../types';

/** A decoded proposal. */
export type Proposal =
  | { id: string; kind: 'txn'; compares: Compare[]; success: TxnOp[]; failure: TxnOp[] }
  | { id: string; kind: 'compact'; revision: number };

const MAGIC = 0x4b;

/** Encodes a txn proposal. */
export function encodeTxnProposal(
  id: string,
  compares: Compare[],
  success: TxnOp[],
  failure: TxnOp[],
): Uint8Array {
  const body = TxnRequest.encode({
    compares: compares.map(compareToPb),
    success: success.map(opToPb),
    failure: failure.map(opToPb),
  }).finish();
  return frame(1, id, body);
}

/** Encodes a compaction proposal. */
export function encodeCompactProposal(id: string, revision: number): Uint8Array {
  return frame(2, id, Buffer.from(String(revision), 'utf8'));
}

function frame(kind: number, id: string, body: Uint8Array): Uint8Array {
  const idb = Buffer.from(id, 'utf8');
  if (idb.length > 255) throw new Error('request id too long');
  const out = Buffer.alloc(3 + idb.length + body.length);
  out[0] = MAGIC;
  out[1] = kind;
  out[2] = idb.length;
  idb.copy(out, 3);
  out.set(body, 3 + idb.length);
  return out;
}

/**
 * Decodes an entry's data.
 * @throws Error when the bytes are not a proposal of this format.
 */
export function decodeProposal(data: Uint8Array): Proposal {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (b.length < 3 || b[0] !== MAGIC) throw new Error('not a keelson-store proposal');
  const id = b.subarray(3, 3 + b[2]).toString('utf8');
  const body = b.subarray(3 + b[2]);
  if (b[1] === 1) {
    const t = TxnRequest.decode(body);
    return {
      id,
      kind: 'txn',
      compares: t.compares.map(compareFromPb),
      success: t.success.map(opFromPb),
      failure: t.failure.map(opFromPb),
    };
  }
  if (b[1] === 2) return { id, kind: 'compact', revision: Number(body.toString('utf8')) };
  throw new Error(`unknown proposal kind ${b[1]}`);
}
