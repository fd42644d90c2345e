// @keelson/kubelet: the node agent. Embed with startKubelet(opts, clientset) or run the
// keelson-kubelet bin.
export { startKubelet, Kubelet, defaultBridgeName, type KubeletOptions, type KubeletHandle } from './kubelet';
export { KubeletError, CriError, CniError, PodConfigError, ConfigError } from './errors';
export type { CriRuntime } from './cri/runtime';
export { GrpcCriRuntime, normalizeEndpoint } from './cri/grpc-runtime';
export { FakeCriRuntime } from './cri/fake-runtime';
export {
  CniManager,
  defaultConfList,
  loopbackConfList,
  podIpFromResult,
  execPlugin,
  removeIdlePortmapChains,
  type CniConfList,
  type CniResult,
} from './cni/cni';
export {
  computePodActions,
  backoffKey,
  shouldRestart,
  type PodActions,
  type ProbeVerdicts,
} from './pod/actions';
export { computePodStatus, podPhase, qosClass, type StatusInputs, type WaitingReason } from './pod/status';
export {
  getRuntimePodState,
  type RuntimePodState,
  type RuntimeContainer,
  type RuntimeSandbox,
} from './pod/runtime-state';
export { podDnsConfig, podHostsFile, parseResolvConf, formatResolvConf, type ResolvConf } from './pod/dns';
export { resolveEnv, expand, type ObjectSource, type NodeAllocatable } from './pod/env';
export { linuxResources, milliCpuToShares, milliCpuToQuota } from './pod/resources';
export { ProbeManager, type ProbeType, type ProbeRunner, type ProbeEvent } from './prober/manager';
export {
  runProbe,
  httpProbe,
  tcpProbe,
  grpcProbe,
  type ProbeResult,
  type ProbeOutcome,
} from './prober/probe';
export {
  parseCriLogLine,
  formatCriLogLine,
  renderLogs,
  criLogToLines,
  type CriLogRecord,
  type LogOptions,
} from './server/logs';
export {
  encodeFrame,
  decodeFrame,
  exitStatus,
  exitCodeOf,
  negotiateProtocol,
  EXEC_PROTOCOLS,
} from './server/channel';
export { Backoff, goDuration } from './util/backoff';
export { FakeClock, realClock, type Clock } from './util/clock';
export { KUBELET_VERSION, nodeStatus, nodeResources, nodeConditions } from './node/node-status';
export { NODE_LEASE_NAMESPACE } from './node/node-manager';
export {
  POD_NAME_LABEL,
  POD_NAMESPACE_LABEL,
  POD_UID_LABEL,
  CONTAINER_NAME_LABEL,
  KUBELET_MANAGED_LABEL,
  KUBELET_NODE_LABEL,
} from './pod/labels';
export { KubeletServer, type KubeletView } from './server/server';
