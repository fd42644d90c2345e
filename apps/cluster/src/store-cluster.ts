/**
 * Runs the replicated store of `keelson up --store-replicas N`: one supervised keelson-store
 * process per member (`--name mK --peers m1=ADDR,...`), restarted with backoff when it exits,
 * in both process layouts. The apiserver then uses `store:ADDR1,ADDR2,...`.
 */
import type { Logger } from 'pino';
import { Component } from './component';
import { binCommand } from './split';
import type { ClusterPaths } from './paths';
import { updateState, type StoreMemberState } from './state';
import { memberRoles, peersFlag, storageSpec } from './store-members';

/** A running replicated store. */
export interface RunningStoreCluster {
  /** The apiserver's `--storage` spec for it. */
  storage: string;
  /** Stops every member (SIGTERM, then SIGKILL after 30 s). */
  stop(): Promise<void>;
}

/**
 * Starts every member and resolves once one of them reports a leader (a quorum is up).
 * Each member logs to `logs/store-<name>.log`; its PID is recorded in state.json.
 * @throws Error when no leader is elected within `timeoutMs` (members already started are stopped)
 */
export async function startStoreCluster(opts: {
  paths: ClusterPaths;
  members: StoreMemberState[];
  log: Logger;
  timeoutMs?: number;
}): Promise<RunningStoreCluster> {
  const { paths, members, log } = opts;
  const peers = peersFlag(members);
  const parts = members.map((m) => {
    const c = new Component(
      `store-${m.name}`,
      binCommand('store', 'keelson-store', ['--data-dir', m.dataDir, '--name', m.name, '--peers', peers]),
      paths.log(`store-${m.name}`),
      log,
      (pid) =>
        updateState(paths.state, (s) => {
          const x = s.store?.members.find((y) => y.name === m.name);
          if (x) x.pid = pid;
        }),
    );
    c.start();
    return c;
  });
  const stop = async () => {
    await Promise.all(parts.map((p) => p.stop(30_000)));
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    const roles = await memberRoles(members, 1000);
    const leader = [...roles.values()].find((v) => v?.leader)?.leader;
    if (leader) {
      log.info(
        { leader, members: members.map((m) => `${m.name}=${m.address}`) },
        'store cluster has a leader',
      );
      break;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the ${members.length} store members elected no leader; see ${paths.logs}/store-*.log`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return { storage: storageSpec(members), stop };
}
