// The Raft log, hard state and latest snapshot of one member, persisted in their own LevelDB
// (<data-dir>/raft) and mirrored in a MemoryStorage that @keelson/raft reads from.
//
// LevelDB keys: 'h' → hard state (raft codec), 'm' → snapshot metadata (JSON), 'd' → snapshot
// data (raw bytes), 'e' + index (8 bytes big-endian) → one entry (raft codec). Every change is
// one LevelDB batch, so a crash leaves either the old or the new state.
import { Level } from 'level';
import {
  MemoryStorage,
  decodeEntry,
  decodeHardState,
  encodeEntry,
  encodeHardState,
  type ConfState,
  type Entry,
  type HardState,
  type Snapshot,
  type SnapshotMetadata,
} from '@keelson/raft';

type Db = Level<Buffer, Buffer>;
type Op = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

const HARD = Buffer.from('h');
const SNAP_META = Buffer.from('m');
const SNAP_DATA = Buffer.from('d');
const ENTRY = 0x65; // 'e'

function entryKey(index: number): Buffer {
  const b = Buffer.alloc(9);
  b[0] = ENTRY;
  b.writeUIntBE(Math.floor(index / 2 ** 32), 1, 4);
  b.writeUIntBE(index % 2 ** 32, 5, 4);
  return b;
}

/**
 * A durable {@link MemoryStorage}: reads come from memory; `save`, `installSnapshot` and
 * `snapshotAndCompact` write LevelDB first (synced unless `sync: false`), then memory.
 * The whole uncompacted log is held in memory (the store compacts it every N entries).
 */
export class LevelRaftStorage extends MemoryStorage {
  private constructor(
    private readonly db: Db,
    private readonly sync: boolean,
  ) {
    super();
  }

  /**
   * Opens (creating) the Raft LevelDB in `dir` and loads snapshot, hard state and entries.
   * @throws LevelDB errors (e.g. the directory is locked by another process).
   */
  static async open(dir: string, opts: { sync?: boolean } = {}): Promise<LevelRaftStorage> {
    const db: Db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    const s = new LevelRaftStorage(db, opts.sync ?? true);
    const meta = await db.get(SNAP_META);
    if (meta) {
      const metadata = JSON.parse(meta.toString('utf8')) as SnapshotMetadata;
      const data = (await db.get(SNAP_DATA)) ?? Buffer.alloc(0);
      MemoryStorage.prototype.applySnapshot.call(s, { metadata, data: new Uint8Array(data) });
    }
    const hs = await db.get(HARD);
    if (hs) MemoryStorage.prototype.setHardState.call(s, decodeHardState(hs));
    const it = db.iterator({ gte: entryKey(0), lt: Buffer.from([ENTRY + 1]) });
    try {
      const ents: Entry[] = [];
      for (;;) {
        const batch = await it.nextv(1000);
        if (!batch.length) break;
        for (const [, v] of batch) ents.push(decodeEntry(v));
      }
      // Only the contiguous run after the snapshot counts (older keys are deleted with it).
      const first = s.firstIndex();
      const run: Entry[] = [];
      for (const e of ents) {
        if (e.index < first) continue;
        if (e.index !== first + run.length) break;
        run.push(e);
      }
      MemoryStorage.prototype.append.call(s, run);
    } finally {
      await it.close();
    }
    return s;
  }

  /** True when nothing was ever persisted (a brand-new member). */
  isEmpty(): boolean {
    const hs = this.getHardState();
    return this.lastIndex() === 0 && hs.term === 0 && this.snapshot().metadata.index === 0;
  }

  /**
   * Persists Ready.entries (overwriting a conflicting suffix) and Ready.hardState in one synced
   * batch, then updates memory (Raft Figure 2: persist before responding).
   */
  async save(entries: Entry[], hs: HardState | undefined): Promise<void> {
    const ops: Op[] = [];
    if (entries.length) {
      const oldLast = this.lastIndex();
      const newLast = entries[entries.length - 1].index;
      for (const e of entries)
        ops.push({ type: 'put', key: entryKey(e.index), value: Buffer.from(encodeEntry(e)) });
      for (let i = newLast + 1; i <= oldLast; i++) ops.push({ type: 'del', key: entryKey(i) });
    }
    if (hs) ops.push({ type: 'put', key: HARD, value: Buffer.from(encodeHardState(hs)) });
    if (!ops.length) return;
    await this.db.batch(ops, { sync: this.sync });
    if (entries.length) super.append(entries);
    if (hs) super.setHardState(hs);
  }

  /** Replaces the whole log by a snapshot received from the leader (Raft §7), durably. */
  async installSnapshot(snap: Snapshot): Promise<void> {
    const ops: Op[] = [];
    for (let i = this.firstIndex(); i <= this.lastIndex(); i++) ops.push({ type: 'del', key: entryKey(i) });
    ops.push({ type: 'put', key: SNAP_META, value: Buffer.from(JSON.stringify(snap.metadata)) });
    ops.push({ type: 'put', key: SNAP_DATA, value: Buffer.from(snap.data) });
    await this.db.batch(ops, { sync: this.sync });
    super.applySnapshot(snap);
  }

  /**
   * Records a snapshot of the state machine at applied index `index` and drops the log up to
   * `index - keep` (entries kept so slightly lagging followers catch up without a snapshot).
   */
  async snapshotAndCompact(index: number, cs: ConfState, data: Uint8Array, keep: number): Promise<void> {
    const term = this.term(index);
    const metadata: SnapshotMetadata = { index, term, confState: cs };
    const upTo = Math.max(this.firstIndex() - 1, index - keep);
    const ops: Op[] = [
      { type: 'put', key: SNAP_META, value: Buffer.from(JSON.stringify(metadata)) },
      { type: 'put', key: SNAP_DATA, value: Buffer.from(data) },
    ];
    for (let i = this.firstIndex(); i <= upTo; i++) ops.push({ type: 'del', key: entryKey(i) });
    await this.db.batch(ops, { sync: this.sync });
    super.createSnapshot(index, cs, data);
    if (upTo >= this.firstIndex()) super.compact(upTo);
  }

  /** Closes the LevelDB. */
  async close(): Promise<void> {
    await this.db.close();
  }
}
