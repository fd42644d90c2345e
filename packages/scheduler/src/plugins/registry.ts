import { Registry } from '../framework/registry';
import {
  DefaultBinder,
  ImageLocality,
  NodeAffinity,
  NodeName,
  NodePorts,
  NodeUnschedulable,
  PrioritySort,
  SchedulingGates,
  TaintToleration,
} from './basic';
import { DefaultPreemption } from './default-preemption';
import { NodeResourcesBalancedAllocation, NodeResourcesFit } from './resources-fit';
import { InterPodAffinity, PodTopologySpread } from './topology';
import { VolumeBinding } from './volume-binding';

/** A registry holding every default plugin, registered by its upstream name. */
export function defaultRegistry(): Registry {
  return new Registry()
    .register('SchedulingGates', () => new SchedulingGates())
    .register('PrioritySort', () => new PrioritySort())
    .register('NodeName', () => new NodeName())
    .register('NodeUnschedulable', () => new NodeUnschedulable())
    .register('NodePorts', () => new NodePorts())
    .register('TaintToleration', () => new TaintToleration())
    .register('NodeAffinity', (ctx) => new NodeAffinity(ctx))
    .register('NodeResourcesFit', (ctx) => new NodeResourcesFit(ctx))
    .register('NodeResourcesBalancedAllocation', () => new NodeResourcesBalancedAllocation())
    .register('PodTopologySpread', () => new PodTopologySpread())
    .register('InterPodAffinity', () => new InterPodAffinity())
    .register('ImageLocality', () => new ImageLocality())
    .register('DefaultPreemption', (ctx) => new DefaultPreemption(ctx))
    .register('DefaultBinder', (ctx) => new DefaultBinder(ctx))
    .register('VolumeBinding', (ctx) => new VolumeBinding(ctx));
}
