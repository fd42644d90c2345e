/**
 * The scheduling framework's extension points, one small interface each, as Kubernetes defines
 * them (kube-scheduler framework/interface.go). A plugin implements any subset; the framework
 * calls the ones a profile enables, in order. Plugins return a {@link Status}, never throw for
 * scheduling outcomes.
 */
import type { PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '@keelson/api';
import type { NodeInfo } from './node-info';
import type { Status } from './status';

/** Per-cycle scratch space shared by one pod's plugin calls (PreFilter state read by Filter, ...). */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  /** Plugins whose PreFilter returned Skip (their Filter is not run). */
  readonly skipFilter = new Set<string>();
  /** Plugins whose PreScore returned Skip (their Score is not run). */
  readonly skipScore = new Set<string>();

  write(key: string, value: unknown): void {
    this.data.set(key, value);
  }
  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
}

/** Every plugin has a name, unique in a registry. */
export interface Plugin {
  name(): string;
}

/** Queued pod info as QueueSort and PreEnqueue see it. */
export interface QueuedPodInfo {
  pod: Pod;
  /** When the pod entered the queue (ms); ties in priority go to the older pod. */
  timestamp: number;
  attempts: number;
}

/** PreEnqueue: gates a pod before it enters the active queue (e.g. schedulingGates); non-Success keeps it out (Code.Pending). */
export interface PreEnqueuePlugin extends Plugin {
  preEnqueue(pod: Pod): Status;
}
/** QueueSort: the order of the active queue (exactly one per profile). */
export interface QueueSortPlugin extends Plugin {
  /** True if a should be scheduled before b. */
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
}
/** What PreFilter may narrow the cycle to. */
export interface PreFilterResult {
  /** When set, only these nodes are considered. */
  nodeNames?: Set<string>;
}
/** PreFilter: per-cycle precomputation into CycleState and early rejection; `nodes` is the snapshot. */
export interface PreFilterPlugin extends Plugin {
  preFilter(state: CycleState, pod: Pod, nodes: NodeInfo[]): { result?: PreFilterResult; status: Status };
}
/** Filter: whether the pod fits one node; Unschedulable/UnschedulableAndUnresolvable reject it. */
export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: Pod, node: NodeInfo): Status;
}
/** Result of PostFilter: a node nominated for the pod after preemption. */
export interface PostFilterResult {
  nominatedNodeName?: string;
  /** Pods to evict for the nomination to hold. */
  victims?: Pod[];
}
/** PostFilter: runs when no node fit (`filtered`: each node's rejecting status); DefaultPreemption nominates a node. */
export interface PostFilterPlugin extends Plugin {
  postFilter(
    state: CycleState,
    pod: Pod,
    nodes: NodeInfo[],
    filtered: Map<string, Status>,
  ): { result?: PostFilterResult; status: Status };
}
/** PreScore: per-cycle precomputation for Score over the feasible `nodes` (`allNodes`: the whole snapshot). */
export interface PreScorePlugin extends Plugin {
  preScore(state: CycleState, pod: Pod, nodes: NodeInfo[], allNodes: NodeInfo[]): Status;
}
/** Scores are integers in [0, 100] after normalization (MaxNodeScore). */
export const MAX_NODE_SCORE = 100;
/** Score: ranks one feasible node (raw score, normalized to [0, MAX_NODE_SCORE], then weighted). */
export interface ScorePlugin extends Plugin {
  score(state: CycleState, pod: Pod, node: NodeInfo): { score: number; status: Status };
  /** Optional: rescales raw scores (by node name) into [0, MAX_NODE_SCORE] in place. */
  normalizeScore?(state: CycleState, pod: Pod, scores: Map<string, number>): Status;
}
/** Reserve: claims resources for the chosen node before binding; Unreserve undoes it on any later failure. */
export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: Pod, nodeName: string): Status;
  unreserve(state: CycleState, pod: Pod, nodeName: string): void;
}
/** Permit: approves, rejects or delays (Wait, timeout in ms) the binding. */
export interface PermitPlugin extends Plugin {
  /** Success, Unschedulable, or Wait with a timeout (ms). */
  permit(state: CycleState, pod: Pod, nodeName: string): { status: Status; timeoutMs?: number };
}
/** PreBind: work that must finish before the Binding is written (e.g. VolumeBinding's claim annotation). */
export interface PreBindPlugin extends Plugin {
  preBind(state: CycleState, pod: Pod, nodeName: string): Promise<Status>;
}
/** Bind: writes the binding; the first non-Skip binder decides. */
export interface BindPlugin extends Plugin {
  /** Skip means "not mine, try the next binder". */
  bind(state: CycleState, pod: Pod, nodeName: string): Promise<Status>;
}
/** PostBind: informational, after a successful bind. */
export interface PostBindPlugin extends Plugin {
  postBind(state: CycleState, pod: Pod, nodeName: string): void;
}

/** The extension points, by their KubeSchedulerConfiguration names. */
export const EXTENSION_POINTS = [
  'preEnqueue',
  'queueSort',
  'preFilter',
  'filter',
  'postFilter',
  'preScore',
  'score',
  'reserve',
  'permit',
  'preBind',
  'bind',
  'postBind',
] as const;
export type ExtensionPoint = (typeof EXTENSION_POINTS)[number];

/** The method a plugin must have to sit at an extension point. */
export const EXTENSION_METHOD: Record<ExtensionPoint, string> = {
  preEnqueue: 'preEnqueue',
  queueSort: 'less',
  preFilter: 'preFilter',
  filter: 'filter',
  postFilter: 'postFilter',
  preScore: 'preScore',
  score: 'score',
  reserve: 'reserve',
  permit: 'permit',
  preBind: 'preBind',
  bind: 'bind',
  postBind: 'postBind',
};

/** What VolumeBinding reads and writes; the cluster layer provides it from informers and the API. */
export interface VolumeAccess {
  /** A claim from the informer cache, or undefined. */
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  /** A PersistentVolume from the informer cache, or undefined. */
  volume(name: string): PersistentVolume | undefined;
  /** A StorageClass from the informer cache, or undefined. */
  storageClass(name: string): StorageClass | undefined;
  /**
   * Sets `volume.kubernetes.io/selected-node` on the claim and resolves once the claim is Bound.
   * Rejects on timeout or API errors.
   */
  selectNode(claim: PersistentVolumeClaim, nodeName: string): Promise<void>;
}

/** What a plugin factory gets: its args from pluginConfig and a handle on the framework. */
export interface PluginContext {
  args: Record<string, unknown>;
  /** Nodes of the current snapshot (for plugins that need a cluster-wide view, e.g. preemption). */
  snapshot(): NodeInfo[];
  /** The binding implementation for the DefaultBinder (set by the cluster layer; absent when embedded). */
  binder?: (pod: Pod, nodeName: string) => Promise<void>;
  /** Evicts a pod (DefaultPreemption victims); absent when embedded. */
  evict?: (pod: Pod) => Promise<void>;
  /** Claims, volumes and storage classes for VolumeBinding (set by the cluster layer; absent when embedded). */
  volumes?: VolumeAccess;
  /** Runs the profile's Filter plugins on one node (set once the framework exists; for preemption what-ifs). */
  runFilter?: (state: CycleState, pod: Pod, node: NodeInfo) => Status;
}

/** Makes a plugin instance. */
export type PluginFactory = (ctx: PluginContext) => Plugin;
