import {
  type Entry,
  type Message,
  type NodeId,
  MemoryStorage,
  Raft,
  type RaftConfig,
  makeMessage,
} from '../src';

const enc = new TextEncoder();

/** Raft over a MemoryStorage holding `entries` (terms given per index starting at 1) and a config of `peers`. */
export function newRaft(
  id: NodeId,
  peers: NodeId[],
  opts: Partial<RaftConfig> & { terms?: number[]; term?: number; commit?: number } = {},
): Raft {
  const storage = new MemoryStorage();
  storage.applySnapshot({
    metadata: { index: 0, term: 0, confState: { voters: peers, learners: opts.learners ?? [] } },
    data: new Uint8Array(0),
  });
  if (opts.terms) storage.append(opts.terms.map((t, i) => entry(i + 1, t)));
  if (opts.term !== undefined) storage.setHardState({ term: opts.term, vote: '', commit: opts.commit ?? 0 });
  return new Raft({ electionTick: 10, heartbeatTick: 1, random: () => 0, ...opts, id, storage });
}

export function entry(index: number, term: number, data = `e${index}`): Entry {
  return { index, term, type: 'Normal', data: enc.encode(data) };
}

/** Takes the queued outgoing messages. */
export function take(r: Raft): Message[] {
  const m = r.msgs;
  r.msgs = [];
  return m;
}

export function msg(fields: Partial<Message> & Pick<Message, 'type'>): Message {
  return makeMessage(fields);
}

/** Makes `r` leader of a fresh term: campaign and feed granted votes from every other voter. */
export function makeLeader(r: Raft): void {
  r.campaign('Election');
  for (const id of r.prs.keys()) {
    if (id === r.id || r.state === 'Leader') continue;
    r.step(msg({ type: 'MsgVoteResp', from: id, to: r.id, term: r.term }));
  }
  if (r.state !== 'Leader') throw new Error('did not become leader');
  take(r);
}

/** Simulates persisting the unstable tail (what RawNode.advance does after the app wrote it). */
export function persist(r: Raft): void {
  const st = r.log.storage as MemoryStorage;
  const ents = r.log.unstable();
  if (ents.length) {
    st.append(ents);
    const last = ents[ents.length - 1];
    r.log.stableTo(last.index, last.term);
  }
  r.onPersisted(r.log.persistedLastIndex());
}
