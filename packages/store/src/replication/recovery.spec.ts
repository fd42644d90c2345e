// A member that crashed after persisting a received snapshot but before rewriting its MVCC
// LevelDB finishes the install when it starts again (Raft snapshot index > 'raft-applied').
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MvccStore } from '../mvcc-store';
import { dumpMvcc } from './mvcc-snapshot';
import { LevelRaftStorage } from './raft-storage';
import { ReplicatedStore } from './replicated-store';

const enc = new TextEncoder();

describe('snapshot install recovery', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'keelson-recover-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('restores the MVCC state from the persisted snapshot at open, then serves writes', async () => {
    // The "leader's" state: two keys, one overwritten, then compacted.
    const src = await MvccStore.open(join(root, 'src'));
    await src.put('/a', enc.encode('1'));
    await src.put('/a', enc.encode('2'));
    await src.put('/b', enc.encode('3'));
    await src.compact(3);
    const data = await dumpMvcc(src);
    const want = await src.range('/', { prefix: true });
    await src.close();

    // The crashed member: snapshot persisted in its Raft log, MVCC directory still empty.
    const dir = join(root, 'b');
    const log = await LevelRaftStorage.open(join(dir, 'raft'));
    await log.installSnapshot({
      metadata: { index: 100, term: 2, confState: { voters: ['b'], learners: [] } },
      data,
    });
    await log.save([], { term: 2, vote: '', commit: 100 });
    await log.close();

    const s = await ReplicatedStore.open({
      name: 'b',
      dataDir: dir,
      peers: { b: '127.0.0.1:1' },
      tickMs: 20,
    });
    try {
      expect(s.appliedIndex()).toBe(100);
      const got = await s.range('/', { prefix: true, serializable: true });
      expect(got.kvs).toEqual(want.kvs);
      expect(got.revision).toBe(want.revision);
      expect(await s.compactRevision()).toBe(3);
      // A one-voter configuration: it elects itself and takes writes at the next revision.
      const r = await s.put('/c', enc.encode('4'));
      expect(r.revision).toBe(want.revision + 1);
      expect(s.raftStatus().applied).toBeGreaterThan(100);
    } finally {
      await s.close();
    }
  });
});
