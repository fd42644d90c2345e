/**
 * A randomized but seed-deterministic run of the simulated cluster: clients issue puts and gets
 * while the network drops, delays, duplicates and reorders messages, partitions come and go,
 * and members crash and restart from their disks. Invariants are checked after every step by
 * SimCluster; the caller checks the recorded history for linearizability.
 */
import { type NodeId, ProposalDroppedError } from '../../src';
import { SimCluster, type SimOptions } from './cluster';

export interface RunOptions {
  seed: number;
  size: number;
  steps: number;
  /** Deliberately broken reads (served from the local state machine). */
  staleReads?: boolean;
  /** Also remove and re-add members through ConfChange entries. */
  membership?: boolean;
  sim?: Partial<SimOptions>;
}

export interface RunResult {
  cluster: SimCluster;
}

const KEYS = ['a', 'b', 'c'];

export function runSimulation(o: RunOptions): RunResult {
  let cluster: SimCluster | undefined;
  try {
    return runInner(o, (c) => (cluster = c));
  } catch (e) {
    // Attach the cluster so the caller can print its recent trace.
    if (e instanceof Error && cluster) (e as Error & { cluster?: SimCluster }).cluster = cluster;
    throw e;
  }
}

function runInner(o: RunOptions, expose: (c: SimCluster) => void): RunResult {
  let ids: NodeId[] = Array.from({ length: o.size }, (_, i) => `n${i + 1}`);
  let nextId = o.size + 1;
  const c = new SimCluster({
    seed: o.seed,
    ids: [...ids],
    drop: 0.05,
    duplicate: 0.03,
    maxDelay: 6,
    snapshotEvery: 12,
    keepEntries: 3,
    staleReads: o.staleReads ?? false,
    reportFailures: o.seed % 2 === 0, // half the runs exercise reportUnreachable / reportSnapshot
    wireCodec: o.seed % 2 === 1, // the other half sends every message through the codec
    ...o.sim,
  });
  expose(c);
  const rand = c.rand;
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const restartAt = new Map<NodeId, number>();
  let partitionedUntil = -1;
  const clients: (string | undefined)[] = [undefined, undefined, undefined];
  let value = 0;
  const maxCrashed = Math.floor((o.size - 1) / 2) + 1; // sometimes more than a minority: no progress, still safe

  for (let s = 0; s < o.steps; s++) {
    // Faults.
    if (partitionedUntil < 0 && rand() < 0.004) {
      const shuffled = [...ids].sort(() => rand() - 0.5);
      const k = 1 + Math.floor(rand() * (ids.length - 1));
      c.partition(shuffled.slice(0, k), shuffled.slice(k));
      partitionedUntil = c.now + 100 + Math.floor(rand() * 300);
    } else if (partitionedUntil >= 0 && c.now >= partitionedUntil) {
      c.heal();
      partitionedUntil = -1;
    }
    if (rand() < 0.003 && restartAt.size < maxCrashed) {
      const live = ids.filter((id) => c.members.get(id)!.alive);
      // Half the crashes hit the leader and restart it soon (the Figure 8 pattern of §5.4.2).
      const lead = c.leader();
      const targeted = lead !== undefined && rand() < 0.5;
      const victim = targeted ? lead : pick(live);
      c.crash(victim);
      restartAt.set(
        victim,
        c.now + (targeted ? 10 + Math.floor(rand() * 60) : 30 + Math.floor(rand() * 300)),
      );
    }
    for (const [id, at] of restartAt) {
      if (c.now >= at) {
        c.restart(id);
        restartAt.delete(id);
      }
    }
    if (o.membership && rand() < 0.004) ids = changeMembership(c, ids, () => `n${nextId++}`, rand, restartAt);
    // Leadership transfers (thesis §3.10) under the same faults.
    if (rand() < 0.002) {
      const lead = c.leader();
      if (lead) {
        const voters = c
          .node(lead)
          .raft.confState()
          .voters.filter((id) => id !== lead);
        if (voters.length) c.node(lead).transferLeadership(pick(voters));
      }
    }
    // Clients: at most one outstanding operation each.
    for (let i = 0; i < clients.length; i++) {
      const cur = clients[i];
      if (cur !== undefined && !c.isDone(cur)) continue;
      if (rand() >= 0.05) continue;
      const live = ids.filter((id) => c.members.get(id)!.alive);
      if (live.length === 0) continue;
      const at = rand() < 0.5 ? (c.leader() ?? pick(live)) : pick(live);
      const key = pick(KEYS);
      clients[i] = rand() < 0.5 ? c.put(at, key, `v${value++}`) : c.get(at, key);
    }
    c.step();
  }

  // Quiesce: heal everything and check the cluster makes progress again (liveness).
  c.heal();
  for (const id of restartAt.keys()) c.restart(id);
  restartAt.clear();
  c.opts.drop = 0;
  c.opts.duplicate = 0;
  let done = false;
  let opId: string | undefined;
  for (let s = 0; s < 3000 && !done; s++) {
    c.step();
    if (o.membership) ids = decommissionRemoved(c, ids, restartAt);
    const lead = c.leader();
    // Retry the final write if it was refused or its member crashed before answering.
    if (opId !== undefined && c.isDone(opId) && c.operation(opId)?.ret === undefined) opId = undefined;
    if (lead && opId === undefined) opId = c.put(lead, 'final', 'done');
    if (opId !== undefined && c.isDone(opId) && lead) {
      const cs = c.node(lead!).raft.confState();
      const ms = [...cs.voters, ...cs.learners].map((id) => c.members.get(id)!);
      const top = Math.max(...ms.map((m) => m.node!.raft.log.committed));
      done = ms.every((m) => m.sm.applied >= top && m.sm.data.get('final') === 'done');
    }
  }
  if (!done) {
    throw new Error(`liveness: cluster did not converge after healing (seed ${o.seed})`);
  }
  c.abandonPending();
  return { cluster: c };
}

/**
 * One membership step at the leader (thesis §4.1-§4.2): promote a caught-up learner, or add a
 * fresh member as a learner (when fewer than 5 voters), or remove a voter (when more than 3).
 * Refused proposals (change pending, learner behind, no leader) are simply retried later.
 */
function changeMembership(
  c: SimCluster,
  ids: NodeId[],
  newId: () => NodeId,
  rand: () => number,
  restartAt: Map<NodeId, number>,
): NodeId[] {
  ids = decommissionRemoved(c, ids, restartAt);
  const lead = c.leader();
  if (!lead) return ids;
  const node = c.node(lead);
  const cs = node.raft.confState();
  try {
    if (cs.learners.length > 0) {
      node.proposeConfChange({ type: 'AddNode', nodeId: cs.learners[0] });
    } else if (cs.voters.length < 5 && (cs.voters.length <= 3 || rand() < 0.5)) {
      const id = newId();
      node.proposeConfChange({ type: 'AddLearner', nodeId: id });
      c.addMember(id);
      ids = [...ids, id];
    } else if (cs.voters.length > 3) {
      const victim = cs.voters[Math.floor(rand() * cs.voters.length)];
      node.proposeConfChange({ type: 'RemoveNode', nodeId: victim });
    }
  } catch (e) {
    if (!(e instanceof ProposalDroppedError)) throw e;
  }
  return ids;
}

/**
 * Stops, for good, members whose removal the highest-term leader has applied (the operator
 * decommissions them). A member added by a proposal that never committed stays idle.
 */
function decommissionRemoved(c: SimCluster, ids: NodeId[], restartAt: Map<NodeId, number>): NodeId[] {
  const lead = c.leader();
  if (!lead) return ids;
  const r = c.node(lead).raft;
  // Only trust a leader whose whole log is committed (in its term) and applied: then no
  // configuration change can be in flight anywhere.
  const settled =
    r.log.applied === r.log.committed &&
    r.log.committed === r.log.lastIndex() &&
    r.log.term(r.log.committed) === r.term;
  if (!settled) return ids;
  const cs = r.confState();
  const inConfig = new Set([...cs.voters, ...cs.learners]);
  return ids.filter((id) => {
    if (inConfig.has(id)) return true;
    const m = c.members.get(id)!;
    if (m.alive && m.node!.raft.log.lastIndex() === 0) return true; // added, not yet in a committed config
    c.crash(id);
    restartAt.delete(id);
    return false;
  });
}
