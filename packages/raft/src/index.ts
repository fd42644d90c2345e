export * from './types';
export * from './errors';
export { type Storage, MemoryStorage } from './storage';
export { RaftLog } from './log';
export { Progress, Inflights, type ProgressState } from './progress';
export { Raft, type RaftConfig, type Status, stepLeader, stepCandidate, stepFollower } from './raft';
export { RawNode, type Ready } from './raw-node';
export {
  encodeMessage,
  decodeMessage,
  encodeEntry,
  decodeEntry,
  encodeHardState,
  decodeHardState,
  encodeSnapshot,
  decodeSnapshot,
  encodeConfState,
  decodeConfState,
  encodeConfChange,
  decodeConfChange,
} from './codec';
export { seededRandom, hashString } from './rand';
export * from './testing/linearizability';
