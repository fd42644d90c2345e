// A replicated keelson-store member: a ReplicatedStore served over gRPC (KVService,
// WatchService and RaftPeer on one address), and the client side of the membership commands.
import {
  Metadata,
  credentials,
  status as GrpcStatus,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  RaftPeerClient,
  RaftPeerService,
  type MemberListResponse,
  type RaftPeerServer,
} from '../generated/keelson/store/v1/raft';
import { startStoreServer, type StoreServer } from '../grpc/server';
import { errorToStatus } from '../grpc/convert';
import { StoreUnavailableError } from '../errors';
import { ReplicatedStore, type MemberInfo, type ReplicatedStoreOptions } from './replicated-store';

/** A running member. */
export interface ReplicatedMember {
  store: ReplicatedStore;
  server: StoreServer;
  /** The bound port. */
  port: number;
  /** Stops serving, then closes the store. */
  close(): Promise<void>;
}

function unary<Req, Res>(fn: (req: Req) => Promise<Res> | Res) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    Promise.resolve()
      .then(() => fn(call.request))
      .then(
        (res) => callback(null, res),
        (err: unknown) => callback(errorToStatus(err)),
      );
  };
}

function listResponse(store: ReplicatedStore): MemberListResponse {
  return { members: store.members(), leader: store.leader() };
}

/** The RaftPeer service of `store` (Send feeds its Raft node; Member* change membership). */
export function raftPeerService(store: ReplicatedStore): RaftPeerServer {
  return {
    send: unary((req) => {
      store.receive(req.messages);
      return {};
    }),
    memberList: unary(() => listResponse(store)),
    memberAdd: unary(async (req) => {
      if (!req.name || !/^.+:\d+$/.test(req.address))
        throw new StoreUnavailableError(GrpcStatus.INVALID_ARGUMENT, 'member add needs NAME=HOST:PORT');
      await store.addMember(req.name, req.address);
      return listResponse(store);
    }),
    memberRemove: unary(async (req) => {
      if (!req.name)
        throw new StoreUnavailableError(GrpcStatus.INVALID_ARGUMENT, 'member remove needs a NAME');
      await store.removeMember(req.name);
      return listResponse(store);
    }),
  };
}

/**
 * Opens a {@link ReplicatedStore} and serves it on `listen` (port 0 = any free port; peers must
 * then learn the address some other way, so members normally listen on their `peers` address).
 * @throws LevelDB and bind errors (the store is closed again on a bind error).
 */
export async function startReplicatedMember(
  opts: ReplicatedStoreOptions & { listen: string },
): Promise<ReplicatedMember> {
  const store = await ReplicatedStore.open(opts);
  let server: StoreServer;
  try {
    server = await startStoreServer(store, opts.listen, {
      services: [{ definition: RaftPeerService, implementation: raftPeerService(store) }],
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  return {
    store,
    server,
    port: server.port,
    async close() {
      await server.close();
      await store.close();
    },
  };
}

/** The cluster view returned by the membership calls. */
export interface ClusterView {
  members: MemberInfo[];
  leader: string;
}

/**
 * Calls RaftPeer `method` on the first of `endpoints` ("host:port,host:port") that answers.
 * @throws StoreUnavailableError with the last gRPC error when none does.
 */
export async function memberCall(
  endpoints: string,
  method: 'memberList' | 'memberAdd' | 'memberRemove',
  req: { name?: string; address?: string },
  timeoutMs = 70_000,
): Promise<ClusterView> {
  let last: Error = new Error('no endpoints');
  for (const addr of endpoints
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const client = new RaftPeerClient(addr, credentials.createInsecure());
    try {
      const res = await new Promise<MemberListResponse>((resolve, reject) => {
        const cb = (err: ServiceError | null, r: MemberListResponse) => (err ? reject(err) : resolve(r));
        const md = { deadline: Date.now() + timeoutMs };
        if (method === 'memberList') client.memberList({}, new Metadata(), md, cb);
        else if (method === 'memberAdd')
          client.memberAdd({ name: req.name ?? '', address: req.address ?? '' }, new Metadata(), md, cb);
        else client.memberRemove({ name: req.name ?? '' }, new Metadata(), md, cb);
      });
      return { members: res.members, leader: res.leader };
    } catch (err) {
      const e = err as ServiceError;
      last = new StoreUnavailableError(e.code ?? GrpcStatus.UNKNOWN, `${addr}: ${e.details ?? e.message}`);
      if (e.code !== GrpcStatus.UNAVAILABLE && e.code !== GrpcStatus.DEADLINE_EXCEEDED) throw last;
    } finally {
      client.close();
    }
  }
  throw last;
}
