/**
 * The leader's view of one follower (etcd-io/raft `tracker/progress.go`): how far its log is
 * known to match (`match`), what to send next (`next`), and the replication mode:
 * - `Probe`: one AppendEntries at a time until the follower's log position is found (Raft §5.3);
 * - `Replicate`: optimistic pipelining, at most `maxInflight` unacknowledged messages;
 * - `Snapshot`: an InstallSnapshot is in flight (Raft §7); nothing else is sent.
 */
export type ProgressState = 'Probe' | 'Replicate' | 'Snapshot';

/** A bounded FIFO of the last indexes of in-flight AppendEntries messages (flow control). */
export class Inflights {
  private buf: number[] = [];
  constructor(readonly capacity: number) {}

  /** Records a message whose last entry is `index`. */
  add(index: number): void {
    this.buf.push(index);
  }

  /** Frees every in-flight message whose last entry is `<= to` (acknowledged). */
  freeLE(to: number): void {
    let i = 0;
    while (i < this.buf.length && this.buf[i] <= to) i++;
    if (i > 0) this.buf = this.buf.slice(i);
  }

  /** Frees the oldest message (a heartbeat response shows the follower is alive). */
  freeFirstOne(): void {
    this.buf.shift();
  }

  /** True if no more messages may be sent. */
  full(): boolean {
    return this.buf.length >= this.capacity;
  }

  /** Number of messages in flight. */
  count(): number {
    return this.buf.length;
  }

  /** Forgets everything. */
  reset(): void {
    this.buf = [];
  }
}

/** Replication progress of one member, kept by the leader. */
export class Progress {
  /** Highest index known replicated on the member (Raft Figure 2 matchIndex). */
  match = 0;
  /** Next index to send (Raft Figure 2 nextIndex). */
  next: number;
  /** Replication mode (see {@link ProgressState}). */
  state: ProgressState = 'Probe';
  /** In Snapshot state: index of the snapshot being installed. */
  pendingSnapshot = 0;
  /** Heartbeat responses seen while in Snapshot state (a lost snapshot is resent after a few). */
  snapshotWaits = 0;
  /** In Probe state: a probe is outstanding, wait for an answer or a heartbeat response. */
  msgAppFlowPaused = false;
  /** Heard from since the last CheckQuorum round (thesis §6.2). */
  recentActive = false;
  /** Leader's tick count when it sent the newest heartbeat this member acknowledged (lease, §6.4.1). */
  leaseAckedAt = 0;
  readonly inflights: Inflights;

  constructor(
    next: number,
    maxInflight: number,
    public isLearner: boolean,
  ) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.snapshotWaits = 0;
    this.state = state;
    this.inflights.reset();
  }

  /** Back to probing from just after the known match (or after a completed snapshot). */
  becomeProbe(): void {
    if (this.state === 'Snapshot') {
      const pending = this.pendingSnapshot;
      this.resetState('Probe');
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState('Probe');
      this.next = this.match + 1;
    }
  }

  /** Start pipelining after the match is known. */
  becomeReplicate(): void {
    this.resetState('Replicate');
    this.next = this.match + 1;
  }

  /** An InstallSnapshot for `snapshotIndex` was sent. */
  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('Snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /** Bookkeeping after sending `n` entries ending at `lastIndex`. */
  sentEntries(n: number, lastIndex: number): void {
    if (this.state === 'Replicate') {
      if (n > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex);
      }
    } else if (this.state === 'Probe') {
      this.msgAppFlowPaused = true;
    }
  }

  /** An acknowledgement up to `n` arrived. @returns true if it was news. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.msgAppFlowPaused = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /**
   * A rejection of an AppendEntries whose prevLogIndex was `rejected`, with the follower's hint
   * `matchHint` (fast back-off, thesis §5.3). @returns false if the rejection is stale.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'Replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /** True if nothing may be sent to this member now (flow control). */
  isPaused(): boolean {
    switch (this.state) {
      case 'Probe':
        return this.msgAppFlowPaused;
      case 'Replicate':
        return this.inflights.full();
      case 'Snapshot':
        return true;
    }
  }
}
