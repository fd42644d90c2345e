import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterPaths } from './paths';
import { CliError } from './errors';
import { checkStoreReplicas, peersFlag, planStoreMembers, storageSpec } from './store-members';

describe('store members', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'keelson-members-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts 1, 3 and 5 and refuses other sizes with a one-line reason', () => {
    for (const n of [1, 3, 5]) expect(() => checkStoreReplicas(n)).not.toThrow();
    for (const n of [0, 2, 4, 7, NaN]) {
      expect(() => checkStoreReplicas(n)).toThrow(CliError);
      expect(() => checkStoreReplicas(n)).toThrow(/--store-replicas must be 1, 3 or 5/);
    }
  });

  it('plans nothing for one member (the layout keeps its single store)', async () => {
    expect(await planStoreMembers(new ClusterPaths(dir), 1)).toBeUndefined();
    expect(existsSync(join(dir, 'store', 'members.json'))).toBe(false);
  });

  it('gives N members distinct loopback addresses and data dirs, and keeps them across ups', async () => {
    const paths = new ClusterPaths(dir);
    const first = (await planStoreMembers(paths, 3))!;
    expect(first.map((m) => m.name)).toEqual(['m1', 'm2', 'm3']);
    expect(new Set(first.map((m) => m.address)).size).toBe(3);
    for (const m of first) {
      expect(m.address).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(m.dataDir).toBe(join(dir, 'store', m.name));
    }
    expect(await planStoreMembers(paths, 3)).toEqual(first);
    expect(peersFlag(first)).toBe(first.map((m) => `${m.name}=${m.address}`).join(','));
    expect(storageSpec(first)).toBe(`store:${first.map((m) => m.address).join(',')}`);
  });

  it('refuses a size different from the store already in the data dir', async () => {
    const paths = new ClusterPaths(dir);
    await planStoreMembers(paths, 3);
    await expect(planStoreMembers(paths, 5)).rejects.toThrow(/holds a 3-member store/);
    await expect(planStoreMembers(paths, 1)).rejects.toThrow(/use --store-replicas 3/);
  });

  it('refuses to put members over a single store', async () => {
    mkdirSync(join(dir, 'store'));
    writeFileSync(join(dir, 'store', 'CURRENT'), 'MANIFEST-000001\n');
    await expect(planStoreMembers(new ClusterPaths(dir), 3)).rejects.toThrow(/single-member store/);
  });
});
