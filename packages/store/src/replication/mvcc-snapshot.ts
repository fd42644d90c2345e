// Raft snapshots of the MVCC state: the MVCC LevelDB's contents (revision records, compact
// revision, meta entries) as one byte string, taken from a LevelDB iterator (an implicit LevelDB
// snapshot) while no commit is in flight, so it is exactly the state at the applied index.
// History is kept (not just the current keys), so revisions, watches from the past and
// compaction behave identically on a member restored from a snapshot.
//
// Format: 'KSN1' then repeated (u32 BE key length, key, u32 BE value length, value).
import { Level } from 'level';
import type { MvccStore } from '../mvcc-store';

type Db = Level<Buffer, Buffer>;
const MAGIC = Buffer.from('KSN1');

/** The LevelDB behind an MvccStore (a private field: the store offers no export API). */
function dbOf(store: MvccStore): Db {
  return (store as unknown as { db: Db }).db;
}

/**
 * Dumps every key/value of `store`'s LevelDB. The caller guarantees no commit runs meanwhile.
 * @returns the snapshot bytes (size ≈ the live LevelDB data).
 */
export async function dumpMvcc(store: MvccStore): Promise<Uint8Array> {
  const parts: Buffer[] = [MAGIC];
  const it = dbOf(store).iterator();
  try {
    for (;;) {
      const batch = await it.nextv(1000);
      if (!batch.length) break;
      for (const [k, v] of batch) {
        const h = Buffer.alloc(4);
        h.writeUInt32BE(k.length);
        const h2 = Buffer.alloc(4);
        h2.writeUInt32BE(v.length);
        parts.push(h, k, h2, v);
      }
    }
  } finally {
    await it.close();
  }
  return Buffer.concat(parts);
}

/**
 * Replaces the contents of the (closed) MVCC LevelDB in `dir` by `data` from {@link dumpMvcc}
 * (empty `data` = empty store) plus `extra` entries, in one atomic batch.
 * @throws Error on a malformed snapshot; LevelDB errors.
 */
export async function restoreMvcc(
  dir: string,
  data: Uint8Array,
  extra: Array<{ key: Buffer; value: Buffer }>,
): Promise<void> {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const puts: Array<{ type: 'put'; key: Buffer; value: Buffer }> = [];
  if (buf.length) {
    if (!buf.subarray(0, 4).equals(MAGIC)) throw new Error('not a keelson-store MVCC snapshot');
    let p = 4;
    while (p < buf.length) {
      const kl = buf.readUInt32BE(p);
      const k = buf.subarray(p + 4, p + 4 + kl);
      p += 4 + kl;
      const vl = buf.readUInt32BE(p);
      const v = buf.subarray(p + 4, p + 4 + vl);
      p += 4 + vl;
      if (p > buf.length) throw new Error('truncated MVCC snapshot');
      puts.push({ type: 'put', key: Buffer.from(k), value: Buffer.from(v) });
    }
  }
  for (const e of extra) puts.push({ type: 'put', ...e });
  const db: Db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  try {
    const dels: Array<{ type: 'del'; key: Buffer }> = [];
    for await (const k of db.keys()) dels.push({ type: 'del', key: k });
    await db.batch([...dels, ...puts], { sync: true });
  } finally {
    await db.close();
  }
}
