/**
 * Scheduler configuration modelled on KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1):
 * profiles selected by `spec.schedulerName`, plugins enabled/disabled per extension point or
 * through `multiPoint`, score weights, and per-plugin args in `pluginConfig`.
 */
import { parse } from 'yaml';
import { SchedulerConfigError } from '../errors';
import { EXTENSION_POINTS, type ExtensionPoint } from './interface';

/** A plugin reference with an optional score weight. */
export interface PluginRef {
  name: string;
  weight?: number;
}

/** enabled/disabled lists of one extension point. */
export interface PluginSet {
  enabled?: PluginRef[];
  disabled?: PluginRef[];
}

/** One profile. */
export interface Profile {
  schedulerName: string;
  plugins?: Partial<Record<ExtensionPoint | 'multiPoint', PluginSet>>;
  pluginConfig?: Array<{ name: string; args?: Record<string, unknown> }>;
  /** Percentage of feasible nodes to find before scoring; 0 = adaptive default. */
  percentageOfNodesToScore?: number;
}

/** The configuration file. */
export interface SchedulerConfiguration {
  apiVersion?: string;
  kind?: string;
  percentageOfNodesToScore?: number;
  profiles: Profile[];
}

/** The default plugins, as kube-scheduler v1.32's multiPoint defaults, with their score weights. */
export const DEFAULT_PLUGINS: PluginRef[] = [
  { name: 'SchedulingGates' },
  { name: 'PrioritySort' },
  { name: 'NodeUnschedulable' },
  { name: 'NodeName' },
  { name: 'TaintToleration', weight: 3 },
  { name: 'NodeAffinity', weight: 2 },
  { name: 'NodePorts' },
  { name: 'NodeResourcesFit', weight: 1 },
  { name: 'VolumeBinding' },
  { name: 'PodTopologySpread', weight: 2 },
  { name: 'InterPodAffinity', weight: 2 },
  { name: 'DefaultPreemption' },
  { name: 'NodeResourcesBalancedAllocation', weight: 1 },
  { name: 'ImageLocality', weight: 1 },
  { name: 'DefaultBinder' },
];

/** The default profile's scheduler name. */
export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

/** The configuration used when none is given: one default profile. */
export function defaultConfiguration(): SchedulerConfiguration {
  return { profiles: [{ schedulerName: DEFAULT_SCHEDULER_NAME }] };
}

/**
 * Parses a KubeSchedulerConfiguration YAML document.
 * @throws SchedulerConfigError for bad YAML, an unknown extension point, or duplicate scheduler names
 */
export function parseConfiguration(text: string): SchedulerConfiguration {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new SchedulerConfigError(`scheduler config is not valid YAML: ${(err as Error).message}`);
  }
  if (!doc || typeof doc !== 'object')
    throw new SchedulerConfigError('scheduler config must be a YAML mapping');
  const cfg = doc as SchedulerConfiguration;
  if (cfg.kind && cfg.kind !== 'KubeSchedulerConfiguration') {
    throw new SchedulerConfigError(`kind: want KubeSchedulerConfiguration, got ${cfg.kind}`);
  }
  if (!cfg.profiles || cfg.profiles.length === 0) cfg.profiles = [{ schedulerName: DEFAULT_SCHEDULER_NAME }];
  const names = new Set<string>();
  cfg.profiles.forEach((p, i) => {
    p.schedulerName ??= DEFAULT_SCHEDULER_NAME;
    if (names.has(p.schedulerName))
      throw new SchedulerConfigError(`profiles[${i}].schedulerName: Duplicate value: "${p.schedulerName}"`);
    names.add(p.schedulerName);
    for (const point of Object.keys(p.plugins ?? {})) {
      if (point !== 'multiPoint' && !(EXTENSION_POINTS as readonly string[]).includes(point)) {
        throw new SchedulerConfigError(`profiles[${i}].plugins.${point}: unknown extension point`);
      }
    }
    p.percentageOfNodesToScore ??= cfg.percentageOfNodesToScore;
  });
  return cfg;
}

/**
 * The plugin list of one extension point for a profile: the defaults (multiPoint), then the
 * profile's multiPoint and per-point enabled lists, minus disabled ones ("*" disables all
 * defaults). Weights come from the most specific list that names the plugin.
 * @param implementsPoint whether a plugin (by name) implements the extension point
 */
export function pluginsFor(
  profile: Profile,
  point: ExtensionPoint,
  implementsPoint: (name: string) => boolean,
): PluginRef[] {
  const multi = profile.plugins?.multiPoint;
  const specific = profile.plugins?.[point];
  const disabledAll = (s?: PluginSet) => (s?.disabled ?? []).some((d) => d.name === '*');
  const disabled = new Set([...(multi?.disabled ?? []), ...(specific?.disabled ?? [])].map((d) => d.name));
  let list: PluginRef[] = [];
  if (!disabledAll(multi) && !disabledAll(specific))
    list = DEFAULT_PLUGINS.filter((p) => !disabled.has(p.name) && implementsPoint(p.name));
  const upsert = (ref: PluginRef) => {
    const i = list.findIndex((p) => p.name === ref.name);
    if (i >= 0) list[i] = { ...list[i], ...ref };
    else list.push(ref);
  };
  for (const ref of multi?.enabled ?? []) if (implementsPoint(ref.name)) upsert(ref);
  for (const ref of specific?.enabled ?? []) upsert(ref);
  return list;
}
