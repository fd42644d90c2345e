/**
 * core/v1 ComponentStatus (deprecated upstream in v1.19, still served): read-only, computed on
 * every request by probing the control-plane components, as kube-apiserver's
 * pkg/registry/core/componentstatus does: an HTTP GET of each configured healthz URL
 * (`scheduler`, `controller-manager`) and a storage read for `etcd-0`. Condition `Healthy`:
 * `True` with the body as message when the probe answers 2xx/3xx; `False` with the failure as
 * message (connection refused, `HTTP probe failed with statuscode: 500`); for storage, `True`
 * with message `ok`, or `False` with the storage error in `error`. Probes run concurrently.
 */
import type { ComponentCondition, ComponentStatus, KubeList } from '@keelson/api';
import { ApiError, failure } from './errors';
import type { Storage } from './storage/interfaces';

/** The warning upstream sends with every ComponentStatus response (its deprecation notice). */
export const COMPONENT_STATUS_WARNING = 'v1 ComponentStatus is deprecated in v1.19+';

/** Options of {@link ComponentStatuses}. */
export interface ComponentStatusOptions {
  /** Component name → healthz URL, e.g. `{ scheduler: 'http://127.0.0.1:10259/healthz' }`. */
  probes?: Record<string, string>;
  /** Probed as `etcd-0` with a read. */
  storage?: Pick<Storage, 'get'>;
  /** Per-probe timeout, ms (default 20 000, upstream's probeTimeOut). */
  timeoutMs?: number;
}

/** Probes the components; see the module comment for the semantics. */
export class ComponentStatuses {
  constructor(private readonly opts: ComponentStatusOptions) {}

  /** The names served, in list order (the configured probes, then `etcd-0`). */
  names(): string[] {
    return [...Object.keys(this.opts.probes ?? {}), ...(this.opts.storage ? ['etcd-0'] : [])];
  }

  /** ComponentStatusList of every component, probed concurrently. */
  async list(): Promise<KubeList> {
    const items = await Promise.all(this.names().map((n) => this.probe(n)));
    return { kind: 'ComponentStatusList', apiVersion: 'v1', metadata: {}, items };
  }

  /** One component's status. @throws ApiError 404 for an unknown name */
  async get(name: string): Promise<ComponentStatus> {
    if (!this.names().includes(name))
      throw new ApiError(
        failure(404, 'NotFound', `componentstatuses "${name}" not found`, {
          name,
          kind: 'componentstatuses',
        }),
      );
    return this.probe(name);
  }

  private async probe(name: string): Promise<ComponentStatus> {
    const condition: ComponentCondition =
      name === 'etcd-0' && this.opts.storage ? await this.probeStorage() : await this.probeHttp(name);
    return {
      kind: 'ComponentStatus',
      apiVersion: 'v1',
      metadata: { name },
      conditions: [condition],
    };
  }

  private async probeHttp(name: string): Promise<ComponentCondition> {
    const url = this.opts.probes![name]!;
    try {
      const res = await fetch(url, {
        redirect: 'manual',
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 20_000),
      });
      const body = (await res.text()).slice(0, 10 * 1024);
      if (res.status >= 200 && res.status < 400) return { type: 'Healthy', status: 'True', message: body };
      return {
        type: 'Healthy',
        status: 'False',
        message: `HTTP probe failed with statuscode: ${res.status}`,
      };
    } catch (err) {
      // Go's http client error text: Get "URL": dial tcp ADDR: connect: connection refused
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const reason =
        cause?.code === 'ECONNREFUSED'
          ? `dial tcp ${new URL(url).host}: connect: connection refused`
          : (cause?.message ?? (err as Error).message);
      return { type: 'Healthy', status: 'False', message: `Get "${url}": ${reason}` };
    }
  }

  private async probeStorage(): Promise<ComponentCondition> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.opts.storage!.get('/registry/health'),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error('context deadline exceeded')),
            this.opts.timeoutMs ?? 20_000,
          );
        }),
      ]);
      return { type: 'Healthy', status: 'True', message: 'ok' };
    } catch (err) {
      return { type: 'Healthy', status: 'False', message: '', error: (err as Error).message };
    } finally {
      if (timer) clearTimeout(timer);
    }
  }
}
