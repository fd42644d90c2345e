/**
 * `keelson up --store-replicas 3`, in both process layouts: three keelson-store Raft members as
 * supervised processes behind the apiserver. The leader's process is killed (SIGKILL by its PID);
 * kubectl writes and reads keep working through the other members, the member is restarted by
 * the supervisor and rejoins, and `keelson down` leaves none of the processes behind.
 * Needs root and kubectl; skips with a printed reason otherwise.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, has, isRoot, keelson, run, until as waitUntil } from './helpers';

const hasKubectl = has('kubectl');

const alive = (pid?: number) => {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

interface Member {
  name: string;
  address: string;
  pid?: number;
}

(isRoot && hasKubectl
  ? describe.each([[[] as string[]], [['--split']]])
  : describe.skip.each([[[] as string[]]]))('keelson up --store-replicas 3 %j', (modeArgs: string[]) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keelson-store3-'));
  const kubeconfig = join(dataDir, 'kubeconfig');
  const kubectl = async (...args: string[]) =>
    (
      await run('kubectl', ['--kubeconfig', kubeconfig, '--request-timeout=10s', ...args], {
        timeout: 30_000,
      })
    ).stdout;
  const members = (): Member[] =>
    JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8')).store?.members ?? [];
  // The member lines are what these tests read; `status` exits 1 while any other component (e.g.
  // kube-proxy right after `up`) is not healthy yet, with the same output.
  const status = async () =>
    (
      await run(keelson, ['status', '--data-dir', dataDir]).catch((e: { stdout?: string }) => ({
        stdout: e.stdout ?? '',
      }))
    ).stdout;
  const until = <T>(what: string, fn: () => Promise<T | undefined | null | false>, ms = 60_000) =>
    waitUntil(what, fn, ms, 500);

  beforeAll(async () => {
    const [api, grpc] = [await freePort(), await freePort()];
    await run(
      keelson,
      [
        'up',
        ...modeArgs,
        '--store-replicas',
        '3',
        '--data-dir',
        dataDir,
        '--api-port',
        String(api),
        '--grpc-port',
        String(grpc),
        '--timeout',
        '90',
      ],
      { timeout: 120_000 },
    );
  }, 130_000);

  afterAll(async () => {
    if (existsSync(join(dataDir, 'state.json')))
      await run(keelson, ['down', '--data-dir', dataDir], { timeout: 120_000 }).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }, 130_000);

  it('runs three members, one leader, listed by keelson status', async () => {
    const ms = members();
    expect(ms.map((m) => m.name)).toEqual(['m1', 'm2', 'm3']);
    for (const m of ms) {
      expect(alive(m.pid)).toBe(true);
      expect(m.address).toMatch(/^127\.0\.0\.1:\d+$/);
    }
    const lines = (await status()).split('\n').filter((l) => l.startsWith('store '));
    expect(lines).toHaveLength(3);
    expect(lines.filter((l) => / leader$/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => / follower$/.test(l))).toHaveLength(2);
  });

  it('keeps serving kubectl writes and reads after the leader is killed, and restarts it', async () => {
    await kubectl('create', 'configmap', 'before', '--from-literal=k=v1');
    const leaderLine = (await status()).split('\n').find((l) => /^store .* leader$/.test(l))!;
    const leader = members().find((m) => leaderLine.startsWith(`store ${m.name} `))!;
    expect(leader).toBeDefined();
    process.kill(leader.pid!, 'SIGKILL');

    // A request in flight at the dead member fails (outcome unknown, as with etcd); the client
    // then moves to another member, so a retried create succeeds.
    await until('a ConfigMap created after the leader died', async () => {
      try {
        await kubectl('create', 'configmap', 'after', '--from-literal=k=v2');
        return true;
      } catch (err) {
        if (/AlreadyExists/.test(String((err as { stderr?: string }).stderr))) return true;
        throw err;
      }
    });
    expect(await kubectl('get', 'configmap', 'before', '-o', 'jsonpath={.data.k}')).toBe('v1');
    expect(await kubectl('get', 'configmap', 'after', '-o', 'jsonpath={.data.k}')).toBe('v2');

    // The supervisor restarts the member (a new PID) and it rejoins: a leader again, all running.
    const restarted = await until('the killed member restarted', async () => {
      const m = members().find((x) => x.name === leader.name);
      return m && m.pid !== leader.pid && alive(m.pid) ? m : undefined;
    });
    expect(restarted.address).toBe(leader.address);
    await until('every member answers with one leader', async () => {
      const lines = (await status()).split('\n').filter((l) => l.startsWith('store '));
      return (
        lines.length === 3 &&
        lines.every((l) => / running (leader|follower)$/.test(l)) &&
        lines.filter((l) => / leader$/.test(l)).length === 1
      );
    });
    await kubectl('delete', 'configmap', 'before', 'after');
  }, 120_000);

  it('keelson down leaves no store member process', async () => {
    const state = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8'));
    const ms: Member[] = state.store.members;
    await run(keelson, ['down', '--data-dir', dataDir], { timeout: 120_000 });
    expect(alive(state.supervisorPid)).toBe(false);
    for (const m of ms) expect(alive(m.pid)).toBe(false);
    // No keelson-store of this data dir survives (found by its --data-dir argument).
    const ps = spawnSync('ps', ['-eo', 'pid=,args=']).stdout.toString();
    expect(ps.split('\n').filter((l) => l.includes(`${dataDir}/store/`))).toEqual([]);
  }, 130_000);
});

if (!isRoot || !hasKubectl) console.log('skipped: the --store-replicas test needs root and kubectl');
