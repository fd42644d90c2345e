/**
 * A registry of plugin factories by name. The default plugins register through the same public
 * call an out-of-tree plugin uses (kube-scheduler framework/runtime/registry.go).
 */
import type { PluginFactory } from './interface';
import { SchedulerConfigError } from '../errors';

/** Plugin factories by name. */
export class Registry {
  private readonly factories = new Map<string, PluginFactory>();

  /**
   * Adds a factory.
   * @throws SchedulerConfigError if the name is taken
   */
  register(name: string, factory: PluginFactory): this {
    if (this.factories.has(name)) throw new SchedulerConfigError(`a plugin named ${name} already exists`);
    this.factories.set(name, factory);
    return this;
  }

  get(name: string): PluginFactory | undefined {
    return this.factories.get(name);
  }

  names(): string[] {
    return [...this.factories.keys()];
  }

  /** A copy with other's factories added (other wins on no name: duplicates throw). */
  merge(other: Registry): Registry {
    const r = new Registry();
    for (const n of this.names()) r.register(n, this.get(n)!);
    for (const n of other.names()) r.register(n, other.get(n)!);
    return r;
  }
}
