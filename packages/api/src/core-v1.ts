/**
 * core/v1 types (k8s.io/api/core/v1), the subset Keelson serves. Field names are the JSON names;
 * a field is optional wherever Kubernetes marks it `omitempty`. Units: seconds where the field
 * name says so, Quantity strings for resources, RFC 3339 strings for times.
 */
import type {
  Condition,
  IntOrString,
  KubeObject,
  LabelSelector,
  ListMeta,
  MicroTime,
  ObjectMeta,
  Quantity,
  Time,
} from './meta';

// ---------------------------------------------------------------------------------------------
// Shared small types

/** core/v1 ObjectReference: points at any object (events, bindings, endpoints' targetRef). */
export interface ObjectReference {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

/** core/v1 LocalObjectReference (imagePullSecrets, configMapRef ...). */
export interface LocalObjectReference {
  name?: string;
}

/** ResourceList: resource name ("cpu", "memory", "ephemeral-storage", "pods" ...) → Quantity. */
export type ResourceList = Record<string, Quantity>;

/** core/v1 ResourceRequirements. */
export interface ResourceRequirements {
  limits?: ResourceList;
  requests?: ResourceList;
  claims?: { name: string; request?: string }[];
}

// ---------------------------------------------------------------------------------------------
// Namespace

/** core/v1 NamespaceSpec. */
export interface NamespaceSpec {
  finalizers?: string[];
}

/** core/v1 NamespaceCondition. */
export interface NamespaceCondition {
  type: string;
  status: string;
  lastTransitionTime?: Time;
  reason?: string;
  message?: string;
}

/** core/v1 NamespaceStatus; phase is "Active" or "Terminating". */
export interface NamespaceStatus {
  phase?: 'Active' | 'Terminating' | string;
  conditions?: NamespaceCondition[];
}

/** core/v1 Namespace (cluster-scoped). */
export interface Namespace extends KubeObject {
  apiVersion?: 'v1';
  kind?: 'Namespace';
  spec?: NamespaceSpec;
  status?: NamespaceStatus;
}

// ---------------------------------------------------------------------------------------------
// Pod: containers

/** core/v1 ContainerPort. Protocol defaults to "TCP". */
export interface ContainerPort {
  name?: string;
  hostPort?: number;
  containerPort: number;
  /** "TCP", "UDP" or "SCTP". */
  protocol?: string;
  hostIP?: string;
}

/** core/v1 ConfigMapKeySelector. */
export interface ConfigMapKeySelector {
  name?: string;
  key: string;
  optional?: boolean;
}

/** core/v1 SecretKeySelector. */
export interface SecretKeySelector {
  name?: string;
  key: string;
  optional?: boolean;
}

/** core/v1 ObjectFieldSelector, e.g. fieldPath "metadata.name", "status.podIP". */
export interface ObjectFieldSelector {
  apiVersion?: string;
  fieldPath: string;
}

/** core/v1 ResourceFieldSelector, e.g. resource "limits.cpu", divisor "1m". */
export interface ResourceFieldSelector {
  containerName?: string;
  resource: string;
  divisor?: Quantity;
}

/** core/v1 EnvVarSource: exactly one of its members is set. */
export interface EnvVarSource {
  fieldRef?: ObjectFieldSelector;
  resourceFieldRef?: ResourceFieldSelector;
  configMapKeyRef?: ConfigMapKeySelector;
  secretKeyRef?: SecretKeySelector;
}

/** core/v1 EnvVar. */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: EnvVarSource;
}

/** core/v1 ConfigMapEnvSource / SecretEnvSource. */
export interface ConfigMapEnvSource {
  name?: string;
  optional?: boolean;
}
/** core/v1 SecretEnvSource. */
export interface SecretEnvSource {
  name?: string;
  optional?: boolean;
}

/** core/v1 EnvFromSource. */
export interface EnvFromSource {
  prefix?: string;
  configMapRef?: ConfigMapEnvSource;
  secretRef?: SecretEnvSource;
}

/** core/v1 ExecAction: command run inside the container; exit 0 is success. */
export interface ExecAction {
  command?: string[];
}

/** core/v1 HTTPHeader. */
export interface HTTPHeader {
  name: string;
  value: string;
}

/** core/v1 HTTPGetAction. Scheme defaults to "HTTP", path to "/". */
export interface HTTPGetAction {
  path?: string;
  /** Port number or a named container port. */
  port: IntOrString;
  host?: string;
  /** "HTTP" or "HTTPS". */
  scheme?: string;
  httpHeaders?: HTTPHeader[];
}

/** core/v1 TCPSocketAction. */
export interface TCPSocketAction {
  port: IntOrString;
  host?: string;
}

/** core/v1 GRPCAction (grpc.health.v1 Check). */
export interface GRPCAction {
  port: number;
  service?: string;
}

/** core/v1 SleepAction (lifecycle hook). */
export interface SleepAction {
  seconds: number;
}

/** core/v1 Probe (ProbeHandler inlined). Defaults: periodSeconds 10, timeoutSeconds 1, successThreshold 1, failureThreshold 3. */
export interface Probe {
  exec?: ExecAction;
  httpGet?: HTTPGetAction;
  tcpSocket?: TCPSocketAction;
  grpc?: GRPCAction;
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
  terminationGracePeriodSeconds?: number;
}

/** core/v1 LifecycleHandler. */
export interface LifecycleHandler {
  exec?: ExecAction;
  httpGet?: HTTPGetAction;
  tcpSocket?: TCPSocketAction;
  sleep?: SleepAction;
}

/** core/v1 Lifecycle. */
export interface Lifecycle {
  postStart?: LifecycleHandler;
  preStop?: LifecycleHandler;
  stopSignal?: string;
}

/** core/v1 VolumeMount. */
export interface VolumeMount {
  name: string;
  readOnly?: boolean;
  recursiveReadOnly?: string;
  mountPath: string;
  subPath?: string;
  /** "None", "HostToContainer" or "Bidirectional". */
  mountPropagation?: string;
  subPathExpr?: string;
}

/** core/v1 VolumeDevice. */
export interface VolumeDevice {
  name: string;
  devicePath: string;
}

/** core/v1 Capabilities. */
export interface Capabilities {
  add?: string[];
  drop?: string[];
}

/** core/v1 SELinuxOptions. */
export interface SELinuxOptions {
  user?: string;
  role?: string;
  type?: string;
  level?: string;
}

/** core/v1 SeccompProfile / AppArmorProfile. */
export interface SeccompProfile {
  /** "RuntimeDefault", "Unconfined" or "Localhost". */
  type: string;
  localhostProfile?: string;
}
/** core/v1 AppArmorProfile. */
export interface AppArmorProfile {
  type: string;
  localhostProfile?: string;
}

/** core/v1 SecurityContext (per container). */
export interface SecurityContext {
  capabilities?: Capabilities;
  privileged?: boolean;
  seLinuxOptions?: SELinuxOptions;
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  procMount?: string;
  seccompProfile?: SeccompProfile;
  appArmorProfile?: AppArmorProfile;
}

/** core/v1 Sysctl. */
export interface Sysctl {
  name: string;
  value: string;
}

/** core/v1 PodSecurityContext. */
export interface PodSecurityContext {
  seLinuxOptions?: SELinuxOptions;
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  supplementalGroups?: number[];
  supplementalGroupsPolicy?: string;
  fsGroup?: number;
  sysctls?: Sysctl[];
  fsGroupChangePolicy?: string;
  seccompProfile?: SeccompProfile;
  appArmorProfile?: AppArmorProfile;
  seLinuxChangePolicy?: string;
}

/** core/v1 ContainerResizePolicy. */
export interface ContainerResizePolicy {
  resourceName: string;
  restartPolicy: string;
}

/** core/v1 Container. */
export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  ports?: ContainerPort[];
  envFrom?: EnvFromSource[];
  env?: EnvVar[];
  resources?: ResourceRequirements;
  resizePolicy?: ContainerResizePolicy[];
  /** Only for init containers: "Always" makes it a sidecar. */
  restartPolicy?: string;
  volumeMounts?: VolumeMount[];
  volumeDevices?: VolumeDevice[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: Lifecycle;
  /** Defaults to "/dev/termination-log". */
  terminationMessagePath?: string;
  /** "File" (default) or "FallbackToLogsOnError". */
  terminationMessagePolicy?: string;
  /** "Always", "Never" or "IfNotPresent". */
  imagePullPolicy?: string;
  securityContext?: SecurityContext;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
}

/** core/v1 EphemeralContainer (same fields as Container plus targetContainerName). */
export interface EphemeralContainer extends Container {
  targetContainerName?: string;
}

// ---------------------------------------------------------------------------------------------
// Pod: volumes

/** core/v1 KeyToPath. */
export interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

/** core/v1 EmptyDirVolumeSource. medium "" (node disk) or "Memory". */
export interface EmptyDirVolumeSource {
  medium?: string;
  sizeLimit?: Quantity;
}

/** core/v1 HostPathVolumeSource. */
export interface HostPathVolumeSource {
  path: string;
  /** "", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice". */
  type?: string;
}

/** core/v1 ConfigMapVolumeSource. */
export interface ConfigMapVolumeSource {
  name?: string;
  items?: KeyToPath[];
  defaultMode?: number;
  optional?: boolean;
}

/** core/v1 SecretVolumeSource. */
export interface SecretVolumeSource {
  secretName?: string;
  items?: KeyToPath[];
  defaultMode?: number;
  optional?: boolean;
}

/** core/v1 DownwardAPIVolumeFile. */
export interface DownwardAPIVolumeFile {
  path: string;
  fieldRef?: ObjectFieldSelector;
  resourceFieldRef?: ResourceFieldSelector;
  mode?: number;
}

/** core/v1 DownwardAPIVolumeSource. */
export interface DownwardAPIVolumeSource {
  items?: DownwardAPIVolumeFile[];
  defaultMode?: number;
}

/** core/v1 ServiceAccountTokenProjection. */
export interface ServiceAccountTokenProjection {
  audience?: string;
  expirationSeconds?: number;
  path: string;
}

/** core/v1 ConfigMapProjection / SecretProjection / DownwardAPIProjection. */
export interface ConfigMapProjection {
  name?: string;
  items?: KeyToPath[];
  optional?: boolean;
}
/** core/v1 SecretProjection. */
export interface SecretProjection {
  name?: string;
  items?: KeyToPath[];
  optional?: boolean;
}
/** core/v1 DownwardAPIProjection. */
export interface DownwardAPIProjection {
  items?: DownwardAPIVolumeFile[];
}

/** core/v1 VolumeProjection: exactly one member set. */
export interface VolumeProjection {
  secret?: SecretProjection;
  downwardAPI?: DownwardAPIProjection;
  configMap?: ConfigMapProjection;
  serviceAccountToken?: ServiceAccountTokenProjection;
}

/** core/v1 ProjectedVolumeSource. */
export interface ProjectedVolumeSource {
  sources?: VolumeProjection[];
  defaultMode?: number;
}

/** core/v1 PersistentVolumeClaimVolumeSource. */
export interface PersistentVolumeClaimVolumeSource {
  claimName: string;
  readOnly?: boolean;
}

/** core/v1 Volume: a name plus exactly one volume source. */
export interface Volume {
  name: string;
  emptyDir?: EmptyDirVolumeSource;
  hostPath?: HostPathVolumeSource;
  configMap?: ConfigMapVolumeSource;
  secret?: SecretVolumeSource;
  downwardAPI?: DownwardAPIVolumeSource;
  projected?: ProjectedVolumeSource;
  persistentVolumeClaim?: PersistentVolumeClaimVolumeSource;
}

// ---------------------------------------------------------------------------------------------
// Pod: scheduling

/** core/v1 NodeSelectorRequirement. operator: In, NotIn, Exists, DoesNotExist, Gt, Lt. */
export interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

/** core/v1 NodeSelectorTerm: requirements ANDed. */
export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

/** core/v1 NodeSelector: terms ORed. */
export interface NodeSelector {
  nodeSelectorTerms: NodeSelectorTerm[];
}

/** core/v1 PreferredSchedulingTerm; weight 1-100. */
export interface PreferredSchedulingTerm {
  weight: number;
  preference: NodeSelectorTerm;
}

/** core/v1 NodeAffinity. */
export interface NodeAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: NodeSelector;
  preferredDuringSchedulingIgnoredDuringExecution?: PreferredSchedulingTerm[];
}

/** core/v1 PodAffinityTerm. */
export interface PodAffinityTerm {
  labelSelector?: LabelSelector;
  namespaces?: string[];
  topologyKey: string;
  namespaceSelector?: LabelSelector;
  matchLabelKeys?: string[];
  mismatchLabelKeys?: string[];
}

/** core/v1 WeightedPodAffinityTerm; weight 1-100. */
export interface WeightedPodAffinityTerm {
  weight: number;
  podAffinityTerm: PodAffinityTerm;
}

/** core/v1 PodAffinity. */
export interface PodAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
  preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTerm[];
}

/** core/v1 PodAntiAffinity. */
export interface PodAntiAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
  preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTerm[];
}

/** core/v1 Affinity. */
export interface Affinity {
  nodeAffinity?: NodeAffinity;
  podAffinity?: PodAffinity;
  podAntiAffinity?: PodAntiAffinity;
}

/** core/v1 Toleration. operator "Exists" or "Equal" (default); effect empty means all effects. */
export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  /** "NoSchedule", "PreferNoSchedule" or "NoExecute". */
  effect?: string;
  /** Only with effect NoExecute: seconds the pod stays bound after the taint appears. */
  tolerationSeconds?: number;
}

/** core/v1 TopologySpreadConstraint. */
export interface TopologySpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  /** "DoNotSchedule" or "ScheduleAnyway". */
  whenUnsatisfiable: string;
  labelSelector?: LabelSelector;
  minDomains?: number;
  /** "Honor" or "Ignore". */
  nodeAffinityPolicy?: string;
  nodeTaintsPolicy?: string;
  matchLabelKeys?: string[];
}

/** core/v1 HostAlias. */
export interface HostAlias {
  ip: string;
  hostnames?: string[];
}

/** core/v1 PodDNSConfigOption. */
export interface PodDNSConfigOption {
  name?: string;
  value?: string;
}

/** core/v1 PodDNSConfig. */
export interface PodDNSConfig {
  nameservers?: string[];
  searches?: string[];
  options?: PodDNSConfigOption[];
}

/** core/v1 PodReadinessGate. */
export interface PodReadinessGate {
  conditionType: string;
}

/** core/v1 PodOS. */
export interface PodOS {
  name: string;
}

/** core/v1 PodSpec. */
export interface PodSpec {
  volumes?: Volume[];
  initContainers?: Container[];
  containers: Container[];
  ephemeralContainers?: EphemeralContainer[];
  /** "Always" (default), "OnFailure" or "Never". */
  restartPolicy?: string;
  /** Seconds; defaults to 30. */
  terminationGracePeriodSeconds?: number;
  activeDeadlineSeconds?: number;
  /** "ClusterFirst" (default), "ClusterFirstWithHostNet", "Default" or "None". */
  dnsPolicy?: string;
  nodeSelector?: Record<string, string>;
  serviceAccountName?: string;
  /** Deprecated alias of serviceAccountName. */
  serviceAccount?: string;
  automountServiceAccountToken?: boolean;
  nodeName?: string;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  shareProcessNamespace?: boolean;
  securityContext?: PodSecurityContext;
  imagePullSecrets?: LocalObjectReference[];
  hostname?: string;
  subdomain?: string;
  affinity?: Affinity;
  /** Defaults to "default-scheduler". */
  schedulerName?: string;
  tolerations?: Toleration[];
  hostAliases?: HostAlias[];
  priorityClassName?: string;
  priority?: number;
  dnsConfig?: PodDNSConfig;
  readinessGates?: PodReadinessGate[];
  runtimeClassName?: string;
  enableServiceLinks?: boolean;
  /** "PreemptLowerPriority" (default) or "Never". */
  preemptionPolicy?: string;
  overhead?: ResourceList;
  topologySpreadConstraints?: TopologySpreadConstraint[];
  setHostnameAsFQDN?: boolean;
  os?: PodOS;
  hostUsers?: boolean;
  schedulingGates?: { name: string }[];
  resources?: ResourceRequirements;
}

// ---------------------------------------------------------------------------------------------
// Pod: status

/** core/v1 PodCondition. type: PodScheduled, Initialized, ContainersReady, Ready, PodReadyToStartContainers ... */
export interface PodCondition {
  type: string;
  /** "True", "False" or "Unknown". */
  status: string;
  observedGeneration?: number;
  lastProbeTime?: Time | null;
  lastTransitionTime?: Time | null;
  reason?: string;
  message?: string;
}

/** core/v1 ContainerStateWaiting. */
export interface ContainerStateWaiting {
  reason?: string;
  message?: string;
}

/** core/v1 ContainerStateRunning. */
export interface ContainerStateRunning {
  startedAt?: Time;
}

/** core/v1 ContainerStateTerminated. */
export interface ContainerStateTerminated {
  exitCode: number;
  signal?: number;
  reason?: string;
  message?: string;
  startedAt?: Time;
  finishedAt?: Time;
  containerID?: string;
}

/** core/v1 ContainerState: at most one member set (waiting when none). */
export interface ContainerState {
  waiting?: ContainerStateWaiting;
  running?: ContainerStateRunning;
  terminated?: ContainerStateTerminated;
}

/** core/v1 ContainerStatus. */
export interface ContainerStatus {
  name: string;
  state?: ContainerState;
  lastState?: ContainerState;
  ready: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
  started?: boolean;
  allocatedResources?: ResourceList;
  resources?: ResourceRequirements;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; recursiveReadOnly?: string }[];
  user?: unknown;
  allocatedResourcesStatus?: unknown[];
  stopSignal?: string;
}

/** core/v1 PodIP / HostIP. */
export interface PodIP {
  ip: string;
}
/** core/v1 HostIP. */
export interface HostIP {
  ip: string;
}

/** core/v1 PodStatus. phase: Pending, Running, Succeeded, Failed, Unknown. */
export interface PodStatus {
  observedGeneration?: number;
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown' | string;
  conditions?: PodCondition[];
  message?: string;
  reason?: string;
  nominatedNodeName?: string;
  hostIP?: string;
  hostIPs?: HostIP[];
  podIP?: string;
  podIPs?: PodIP[];
  startTime?: Time;
  initContainerStatuses?: ContainerStatus[];
  containerStatuses?: ContainerStatus[];
  /** "Guaranteed", "Burstable" or "BestEffort". */
  qosClass?: string;
  ephemeralContainerStatuses?: ContainerStatus[];
  resize?: string;
}

/** core/v1 Pod. */
export interface Pod extends KubeObject {
  apiVersion?: 'v1';
  kind?: 'Pod';
  spec?: PodSpec;
  status?: PodStatus;
}

/** core/v1 PodTemplateSpec (inside workloads). */
export interface PodTemplateSpec {
  metadata?: ObjectMeta;
  spec?: PodSpec;
}

// ---------------------------------------------------------------------------------------------
// Node

/** core/v1 Taint. effect: NoSchedule, PreferNoSchedule, NoExecute. */
export interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: Time;
}

/** core/v1 NodeSpec. */
export interface NodeSpec {
  podCIDR?: string;
  podCIDRs?: string[];
  providerID?: string;
  unschedulable?: boolean;
  taints?: Taint[];
  configSource?: unknown;
  externalID?: string;
}

/** core/v1 NodeCondition. type: Ready, MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable. */
export interface NodeCondition {
  type: string;
  status: string;
  lastHeartbeatTime?: Time;
  lastTransitionTime?: Time;
  reason?: string;
  message?: string;
}

/** core/v1 NodeAddress. type: Hostname, InternalIP, ExternalIP, InternalDNS, ExternalDNS. */
export interface NodeAddress {
  type: string;
  address: string;
}

/** core/v1 DaemonEndpoint. */
export interface DaemonEndpoint {
  Port: number;
}

/** core/v1 NodeDaemonEndpoints. */
export interface NodeDaemonEndpoints {
  kubeletEndpoint?: DaemonEndpoint;
}

/** Alias of NodeDaemonEndpoints. */
export type DaemonEndpoints = NodeDaemonEndpoints;

/** core/v1 NodeSystemInfo. */
export interface NodeSystemInfo {
  machineID: string;
  systemUUID: string;
  bootID: string;
  kernelVersion: string;
  osImage: string;
  containerRuntimeVersion: string;
  kubeletVersion: string;
  kubeProxyVersion: string;
  operatingSystem: string;
  architecture: string;
  swap?: { capacity?: number };
}

/** core/v1 ContainerImage. */
export interface ContainerImage {
  names?: string[];
  sizeBytes?: number;
}

/** core/v1 AttachedVolume. */
export interface AttachedVolume {
  name: string;
  devicePath: string;
}

/** core/v1 NodeStatus. */
export interface NodeStatus {
  capacity?: ResourceList;
  allocatable?: ResourceList;
  phase?: string;
  conditions?: NodeCondition[];
  addresses?: NodeAddress[];
  daemonEndpoints?: NodeDaemonEndpoints;
  nodeInfo?: NodeSystemInfo;
  images?: ContainerImage[];
  volumesInUse?: string[];
  volumesAttached?: AttachedVolume[];
  config?: unknown;
  runtimeHandlers?: unknown[];
  features?: unknown;
}

/** core/v1 Node (cluster-scoped). */
export interface Node extends KubeObject {
  apiVersion?: 'v1';
  kind?: 'Node';
  spec?: NodeSpec;
  status?: NodeStatus;
}

// ---------------------------------------------------------------------------------------------
// Service and Endpoints

/** core/v1 ServicePort. */
export interface ServicePort {
  name?: string;
  /** "TCP" (default), "UDP" or "SCTP". */
  protocol?: string;
  appProtocol?: string;
  port: number;
  /** Defaults to port. */
  targetPort?: IntOrString;
  nodePort?: number;
}

/** core/v1 ClientIPConfig. */
export interface ClientIPConfig {
  timeoutSeconds?: number;
}

/** core/v1 SessionAffinityConfig. */
export interface SessionAffinityConfig {
  clientIP?: ClientIPConfig;
}

/** core/v1 ServiceSpec. */
export interface ServiceSpec {
  ports?: ServicePort[];
  selector?: Record<string, string>;
  /** "None" for headless. */
  clusterIP?: string;
  clusterIPs?: string[];
  /** "ClusterIP" (default), "NodePort", "LoadBalancer" or "ExternalName". */
  type?: string;
  externalIPs?: string[];
  /** "None" (default) or "ClientIP". */
  sessionAffinity?: string;
  loadBalancerIP?: string;
  loadBalancerSourceRanges?: string[];
  externalName?: string;
  /** "Cluster" or "Local". */
  externalTrafficPolicy?: string;
  healthCheckNodePort?: number;
  publishNotReadyAddresses?: boolean;
  sessionAffinityConfig?: SessionAffinityConfig;
  ipFamilies?: string[];
  /** "SingleStack", "PreferDualStack" or "RequireDualStack". */
  ipFamilyPolicy?: string;
  allocateLoadBalancerNodePorts?: boolean;
  loadBalancerClass?: string;
  /** "Cluster" or "Local". */
  internalTrafficPolicy?: string;
  trafficDistribution?: string;
}

/** core/v1 PortStatus. */
export interface PortStatus {
  port: number;
  protocol: string;
  error?: string;
}

/** core/v1 LoadBalancerIngress. */
export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
  ipMode?: string;
  ports?: PortStatus[];
}

/** core/v1 LoadBalancerStatus. */
export interface LoadBalancerStatus {
  ingress?: LoadBalancerIngress[];
}

/** core/v1 ServiceStatus. */
export interface ServiceStatus {
  loadBalancer?: LoadBalancerStatus;
  conditions?: Condition[];
}

/** core/v1 Service. */
export interface Service extends KubeObject {
  apiVersion?: 'v1';
  kind?: 'Service';
  spec?: ServiceSpec;
  status?: ServiceStatus;
}

/** core/v1 EndpointAddress. */
export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: ObjectReference;
}

/** core/v1 EndpointPort. */
export interface EndpointPort {
  name?: string;
  port: number;
  protocol?: string;
  appProtocol?: string;
}

/** core/v1 EndpointSubset. */
export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

/** core/v1 Endpoints. */
export interface Endpoints extends KubeObject {
  apiVersion?: 'v1';
  kind?: 'Endpoints';
  subsets?: EndpointSubset[];
}

// ---------------------------------------------------------------------------------------------
// ConfigMap, Secret, ServiceAccount

/** core/v1 ConfigMap. binaryData values are base64. */
export interface ConfigMap extends KubeObject {
  apiVersion?: 'v1';
  kind?: 'ConfigMap';
  immutable?: boolean;
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

/** core/v1 Secret. data values are base64; stringData is write-only plain text merged into data. */
export interface Secret extends KubeObject {
  apiVersion?: 'v1';
  kind?: 'Secret';
  immutable?: boolean;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  /** Defaults to "Opaque". */
  type?: string;
}

/** core/v1 ServiceAccount. */
export interface ServiceAccount extends KubeObject {
  apiVersion?: 'v1';
  kind?: 'ServiceAccount';
  secrets?: ObjectReference[];
  imagePullSecrets?: LocalObjectReference[];
  automountServiceAccountToken?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Event, Binding, ComponentStatus

/** core/v1 EventSource. */
export interface EventSource {
  component?: string;
  host?: string;
}

/** core/v1 EventSeries. */
export interface EventSeries {
  count?: number;
  lastObservedTime?: MicroTime;
}

/** core/v1 Event. type: "Normal" or "Warning". */
export interface Event extends KubeObject {
  apiVersion?: 'v1';
  kind?: 'Event';
  involvedObject: ObjectReference;
  reason?: string;
  message?: string;
  source?: EventSource;
  firstTimestamp?: Time | null;
  lastTimestamp?: Time | null;
  count?: number;
  type?: string;
  eventTime?: MicroTime | null;
  series?: EventSeries;
  action?: string;
  related?: ObjectReference;
  reportingComponent?: string;
  reportingInstance?: string;
}

/** core/v1 Binding: POSTed to pods/binding to assign a pod to target (a Node). */
export interface Binding extends KubeObject {
  apiVersion?: 'v1';
  kind?: 'Binding';
  target: ObjectReference;
}

/** core/v1 ComponentCondition. */
export interface ComponentCondition {
  type: string;
  status: string;
  message?: string;
  error?: string;
}

/** core/v1 ComponentStatus (cluster-scoped, read-only). */
export interface ComponentStatus extends KubeObject {
  apiVersion?: 'v1';
  kind?: 'ComponentStatus';
  conditions?: ComponentCondition[];
}

// ---------------------------------------------------------------------------------------------
// PersistentVolume, PersistentVolumeClaim

/** core/v1 LocalVolumeSource: a directory or device on one node (needs nodeAffinity). */
export interface LocalVolumeSource {
  path: string;
  fsType?: string;
}

/** core/v1 VolumeNodeAffinity: the nodes a PersistentVolume can be reached from. */
export interface VolumeNodeAffinity {
  required?: NodeSelector;
}

/** core/v1 PersistentVolumeSpec, the volume sources Keelson mounts (hostPath, local). */
export interface PersistentVolumeSpec {
  /** "storage" → Quantity. */
  capacity?: ResourceList;
  hostPath?: HostPathVolumeSource;
  local?: LocalVolumeSource;
  /** "ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod". */
  accessModes?: string[];
  /** The claim this volume is bound to (namespace, name, uid). */
  claimRef?: ObjectReference;
  /** "Retain" (default for manually created volumes), "Delete" or "Recycle". */
  persistentVolumeReclaimPolicy?: string;
  storageClassName?: string;
  mountOptions?: string[];
  /** "Filesystem" (default) or "Block". */
  volumeMode?: string;
  nodeAffinity?: VolumeNodeAffinity;
  volumeAttributesClassName?: string;
}

/** core/v1 PersistentVolumeStatus. phase: Pending, Available, Bound, Released, Failed. */
export interface PersistentVolumeStatus {
  phase?: string;
  message?: string;
  reason?: string;
  lastPhaseTransitionTime?: Time;
}

/** core/v1 PersistentVolume (cluster-scoped). */
export interface PersistentVolume extends KubeObject {
  apiVersion?: 'v1';
  kind?: 'PersistentVolume';
  spec?: PersistentVolumeSpec;
  status?: PersistentVolumeStatus;
}

/** core/v1 VolumeResourceRequirements: requests.storage is the size asked for. */
export interface VolumeResourceRequirements {
  limits?: ResourceList;
  requests?: ResourceList;
}

/** core/v1 TypedLocalObjectReference. */
export interface TypedLocalObjectReference {
  apiGroup?: string;
  kind: string;
  name: string;
}

/** core/v1 TypedObjectReference. */
export interface TypedObjectReference {
  apiGroup?: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** core/v1 PersistentVolumeClaimSpec. */
export interface PersistentVolumeClaimSpec {
  accessModes?: string[];
  selector?: LabelSelector;
  resources?: VolumeResourceRequirements;
  /** The bound PersistentVolume's name (set by the binder, or by the user to ask for one). */
  volumeName?: string;
  /** Unset: the default StorageClass (admission); "": no class (static volumes only). */
  storageClassName?: string;
  volumeMode?: string;
  dataSource?: TypedLocalObjectReference;
  dataSourceRef?: TypedObjectReference;
  volumeAttributesClassName?: string;
}

/** core/v1 PersistentVolumeClaimCondition. */
export interface PersistentVolumeClaimCondition {
  type: string;
  status: string;
  lastProbeTime?: Time;
  lastTransitionTime?: Time;
  reason?: string;
  message?: string;
}

/** core/v1 PersistentVolumeClaimStatus. phase: Pending, Bound, Lost. */
export interface PersistentVolumeClaimStatus {
  phase?: string;
  accessModes?: string[];
  capacity?: ResourceList;
  conditions?: PersistentVolumeClaimCondition[];
  allocatedResources?: ResourceList;
  allocatedResourceStatuses?: Record<string, string>;
  currentVolumeAttributesClassName?: string;
}

/** core/v1 PersistentVolumeClaim. */
export interface PersistentVolumeClaim extends KubeObject {
  apiVersion?: 'v1';
  kind?: 'PersistentVolumeClaim';
  spec?: PersistentVolumeClaimSpec;
  status?: PersistentVolumeClaimStatus;
}

// ---------------------------------------------------------------------------------------------
// Lists

/** A core/v1 list such as PodList. */
export interface TypedList<T> {
  apiVersion?: string;
  kind?: string;
  metadata: ListMeta;
  items: T[];
}
/** core/v1 PodList. */
export type PodList = TypedList<Pod>;
/** core/v1 NodeList. */
export type NodeList = TypedList<Node>;
/** core/v1 ServiceList. */
export type ServiceList = TypedList<Service>;
/** core/v1 NamespaceList. */
export type NamespaceList = TypedList<Namespace>;
/** core/v1 EndpointsList. */
export type EndpointsList = TypedList<Endpoints>;
/** core/v1 ConfigMapList. */
export type ConfigMapList = TypedList<ConfigMap>;
/** core/v1 SecretList. */
export type SecretList = TypedList<Secret>;
/** core/v1 EventList. */
export type EventList = TypedList<Event>;
/** core/v1 ServiceAccountList. */
export type ServiceAccountList = TypedList<ServiceAccount>;
/** core/v1 PersistentVolumeList. */
export type PersistentVolumeList = TypedList<PersistentVolume>;
/** core/v1 PersistentVolumeClaimList. */
export type PersistentVolumeClaimList = TypedList<PersistentVolumeClaim>;
