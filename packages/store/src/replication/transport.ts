// Raft message transport over gRPC (keelson.store.v1.RaftPeer.Send). One client per peer
// address; per peer at most one Send in flight, later messages queue and go in the next batch.
// Raft tolerates loss, so a full queue drops messages and a failed call reports the peer
// unreachable (and a carried snapshot as failed).
import { Metadata, credentials, type ServiceError } from '@grpc/grpc-js';
import { encodeMessage, type Message } from '@keelson/raft';
import { RaftPeerClient } from '../generated/keelson/store/v1/raft';

/** What the transport tells the Raft node about deliveries. */
export interface TransportEvents {
  /** A Send to `to` failed (Raft: reportUnreachable). */
  unreachable(to: string): void;
  /** A batch carrying a snapshot for `to` was delivered (`ok`) or not (Raft: reportSnapshot). */
  snapshotStatus(to: string, ok: boolean): void;
}

interface Peer {
  address: string;
  client: RaftPeerClient;
  queue: Message[];
  sending: boolean;
}

const MAX_QUEUE = 4096;
const MAX_BATCH_BYTES = 4 * 1024 * 1024;
const SEND_TIMEOUT_MS = 5000;

/** Sends Raft messages to peers by member name (addresses set with {@link setAddress}). */
export class GrpcRaftTransport {
  private readonly peers = new Map<string, Peer>();
  private closed = false;

  constructor(private readonly events: TransportEvents) {}

  /** Sets (or changes) the gRPC address of member `name`; `undefined` forgets it. */
  setAddress(name: string, address: string | undefined): void {
    const p = this.peers.get(name);
    if (p && p.address === address) return;
    if (p) {
      p.client.close();
      this.peers.delete(name);
    }
    if (address) {
      const client = new RaftPeerClient(address, credentials.createInsecure(), {
        'grpc.max_send_message_length': 64 * 1024 * 1024,
        'grpc.max_receive_message_length': 64 * 1024 * 1024,
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 1000,
      });
      this.peers.set(name, { address, client, queue: [], sending: false });
    }
  }

  /** Queues `m` for its recipient; dropped when the address is unknown or the queue is full. */
  send(m: Message): void {
    const p = this.peers.get(m.to);
    if (!p || this.closed) return;
    if (p.queue.length >= MAX_QUEUE) return;
    p.queue.push(m);
    if (!p.sending) this.flush(m.to, p);
  }

  private flush(to: string, p: Peer): void {
    if (!p.queue.length || this.closed) return;
    const batch: Buffer[] = [];
    let size = 0;
    let snap = false;
    let n = 0;
    for (; n < p.queue.length && size < MAX_BATCH_BYTES; n++) {
      const m = p.queue[n];
      if (m.type === 'MsgSnap') snap = true;
      const b = encodeMessage(m);
      size += b.length;
      batch.push(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    }
    p.queue = p.queue.slice(n);
    p.sending = true;
    p.client.send(
      { messages: batch },
      new Metadata(),
      { deadline: Date.now() + SEND_TIMEOUT_MS },
      (err: ServiceError | null) => {
        p.sending = false;
        if (this.closed || this.peers.get(to) !== p) return;
        if (err) {
          // Drop what queued up meanwhile too: Raft resends from its progress tracking.
          p.queue = [];
          this.events.unreachable(to);
          if (snap) this.events.snapshotStatus(to, false);
        } else if (snap) this.events.snapshotStatus(to, true);
        this.flush(to, p);
      },
    );
  }

  /** Closes every client. */
  close(): void {
    this.closed = true;
    for (const p of this.peers.values()) p.client.close();
    this.peers.clear();
  }
}
