// On-disk layout in LevelDB (binary keys and values):
//   'r' + revision (8 bytes, big-endian) + sub (4 bytes, big-endian)  →  record
//   'm' + name                                                         →  metadata
// A record is one change to one key at (revision, sub), the way etcd keys its bbolt "key"
// bucket by revision: type (1 byte: 0 put, 1 delete) | createRevision (8) | version (8) |
// key length (4) | key (UTF-8) | value. Big-endian revisions make LevelDB order = revision order.

/** Prefix byte of revision records. */
export const RECORD_PREFIX = 0x72; // 'r'
/** Metadata key holding the compact revision (8 bytes). */
export const META_COMPACT = Buffer.from('mcompact');

/** A decoded record: one change of one key. */
export interface ChangeRecord {
  revision: number;
  sub: number;
  deleted: boolean;
  key: string;
  value: Uint8Array;
  createRevision: number;
  version: number;
}

function writeU64(buf: Buffer, off: number, n: number): void {
  buf.writeUInt32BE(Math.floor(n / 0x100000000), off);
  buf.writeUInt32BE(n >>> 0, off + 4);
}

function readU64(buf: Uint8Array, off: number): number {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return b.readUInt32BE(off) * 0x100000000 + b.readUInt32BE(off + 4);
}

/** LevelDB key of the record at (revision, sub). */
export function recordKey(revision: number, sub: number): Buffer {
  const k = Buffer.allocUnsafe(13);
  k[0] = RECORD_PREFIX;
  writeU64(k, 1, revision);
  k.writeUInt32BE(sub, 9);
  return k;
}

/** Inverse of {@link recordKey}. */
export function parseRecordKey(k: Uint8Array): { revision: number; sub: number } {
  const b = Buffer.from(k.buffer, k.byteOffset, k.byteLength);
  return { revision: readU64(b, 1), sub: b.readUInt32BE(9) };
}

/** Encodes a record value (the key part of the LevelDB entry is {@link recordKey}). */
export function encodeRecord(r: Omit<ChangeRecord, 'revision' | 'sub'>): Buffer {
  const keyLen = Buffer.byteLength(r.key, 'utf8');
  const valueLen = r.deleted ? 0 : r.value.byteLength;
  const buf = Buffer.allocUnsafe(21 + keyLen + valueLen);
  buf[0] = r.deleted ? 1 : 0;
  writeU64(buf, 1, r.createRevision);
  writeU64(buf, 9, r.version);
  buf.writeUInt32BE(keyLen, 17);
  buf.write(r.key, 21, 'utf8');
  if (valueLen) buf.set(r.value, 21 + keyLen);
  return buf;
}

/** Decodes a record; `value` is a copy, safe to keep. */
export function decodeRecord(revision: number, sub: number, raw: Uint8Array): ChangeRecord {
  const b = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const keyLen = b.readUInt32BE(17);
  return {
    revision,
    sub,
    deleted: b[0] === 1,
    createRevision: readU64(b, 1),
    version: readU64(b, 9),
    key: b.toString('utf8', 21, 21 + keyLen),
    value: new Uint8Array(b.subarray(21 + keyLen)),
  };
}

/** Encodes a non-negative integer as 8 big-endian bytes (metadata values). */
export function encodeU64(n: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  writeU64(b, 0, n);
  return b;
}

/** Inverse of {@link encodeU64}. */
export function decodeU64(b: Uint8Array): number {
  return readU64(b, 0);
}
