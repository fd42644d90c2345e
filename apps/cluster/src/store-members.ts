/**
 * The replicated store's membership (`keelson up --store-replicas N`): N keelson-store Raft
 * members m1..mN, each with a data dir `<data-dir>/store/<name>` and a loopback gRPC address.
 * The addresses are chosen once and kept in `<data-dir>/store/members.json`, because a Raft
 * member records its peers' addresses in its own data (a restarted cluster must reuse them).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { memberCall } from '@keelson/store';
import type { ClusterPaths } from './paths';
import type { StoreMemberState } from './state';
import { CliError } from './errors';

/** Store sizes `--store-replicas` accepts: one store, or an odd Raft cluster that survives 1 (3) or 2 (5) failures. */
export const STORE_REPLICA_COUNTS = [1, 3, 5] as const;

/** @throws CliError unless `n` is 1, 3 or 5 */
export function checkStoreReplicas(n: number): void {
  if (!(STORE_REPLICA_COUNTS as readonly number[]).includes(n))
    throw new CliError(
      `--store-replicas must be 1, 3 or 5 (an odd number of Raft members), got ${Number.isFinite(n) ? n : 'not a number'}`,
    );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/**
 * The members for `replicas` (undefined for 1: the single store of the chosen layout). Reuses
 * `<data-dir>/store/members.json` when the data dir already holds a replicated store, otherwise
 * picks free loopback ports and writes it.
 * @throws CliError when `replicas` is not 1, 3 or 5, or the data dir holds a store of another size
 */
export async function planStoreMembers(
  paths: ClusterPaths,
  replicas: number,
): Promise<StoreMemberState[] | undefined> {
  checkStoreReplicas(replicas);
  const file = join(paths.store, 'members.json');
  const recorded = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Array<{ name: string; address: string }>)
    : undefined;
  const purge = `keelson down --data-dir ${paths.dataDir} --purge`;
  if (replicas === 1) {
    if (recorded)
      throw new CliError(
        `${paths.dataDir} holds a ${recorded.length}-member store: use --store-replicas ${recorded.length}, or remove it with: ${purge}`,
      );
    return undefined;
  }
  if (recorded && recorded.length !== replicas)
    throw new CliError(
      `${paths.dataDir} holds a ${recorded.length}-member store: use --store-replicas ${recorded.length}, or remove it with: ${purge}`,
    );
  if (!recorded && existsSync(join(paths.store, 'CURRENT')))
    throw new CliError(
      `${paths.dataDir} holds a single-member store: use --store-replicas 1, or remove it with: ${purge}`,
    );
  const members =
    recorded ??
    (await Promise.all(
      Array.from({ length: replicas }, async (_, i) => ({
        name: `m${i + 1}`,
        address: `127.0.0.1:${await freePort()}`,
      })),
    ));
  if (!recorded) {
    mkdirSync(paths.store, { recursive: true });
    writeFileSync(file, JSON.stringify(members, null, 2));
  }
  return members.map((m) => ({ ...m, dataDir: join(paths.store, m.name) }));
}

/** `--peers` of keelson-store: `m1=ADDR,m2=ADDR,...`. */
export const peersFlag = (members: StoreMemberState[]): string =>
  members.map((m) => `${m.name}=${m.address}`).join(',');

/** The apiserver's storage spec for the members: `store:ADDR1,ADDR2,...` (the client fails over between them). */
export const storageSpec = (members: StoreMemberState[]): string =>
  `store:${members.map((m) => m.address).join(',')}`;

/**
 * Each member's view of the cluster through its RaftPeer.MemberList: the leader it knows
 * ('' while there is none) or undefined when the member does not answer within `timeoutMs`.
 */
export async function memberRoles(
  members: StoreMemberState[],
  timeoutMs = 2000,
): Promise<Map<string, { leader: string } | undefined>> {
  const out = new Map<string, { leader: string } | undefined>();
  await Promise.all(
    members.map(async (m) => {
      try {
        const view = await memberCall(m.address, 'memberList', {}, timeoutMs);
        out.set(m.name, { leader: view.leader });
      } catch {
        out.set(m.name, undefined);
      }
    }),
  );
  return out;
}
