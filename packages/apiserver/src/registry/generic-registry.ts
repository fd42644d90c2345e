/**
 * The generic registry: Kubernetes object semantics over {@link Storage} for every resource
 * (k8s.io/apiserver/pkg/registry/generic/registry/store.go): create with generateName, uid and
 * creationTimestamp; optimistic concurrency on resourceVersion (= storage modRevision) with 409
 * Conflict; status subresource isolation; generation bumps on spec changes; finalizers,
 * deletionTimestamp and graceful deletion; label/field selectors; limit/continue pagination at a
 * fixed revision; watches served by the {@link WatchCache}.
 */
import { randomUUID } from 'node:crypto';
import {
  groupVersion,
  resourceForPath,
  type DeleteOptions,
  type KubeList,
  type KubeObject,
  type ResourceInfo,
  type Status,
} from '@keelson/api';
import {
  ApiError,
  KeyExistsError,
  KeyNotFoundError,
  OPTIMISTIC_LOCK_MESSAGE,
  RevisionConflictError,
  StorageCompactedError,
  StorageFutureRevisionError,
  alreadyExists,
  badRequest,
  conflict,
  failure,
  forbidden,
  gone,
  invalid,
  notFound,
  timeout,
} from '../errors';
import {
  checkSchema,
  defaultObject,
  normalizeObject,
  validateObject,
  type AdmissionOptions,
} from '../admission';
import { collectionPrefix, objectKey, resourcePrefix } from '../keys';
import { fieldMatcher, labelMatcher, parseFieldSelector, parseLabelSelector } from '../selectors';
import type { Storage } from '../storage/interfaces';
import type { CacheSink, WatchCache } from '../watch-cache';
import { ITEMS_JSON } from '../serialize';
import { strategyFor } from './strategies/index';
import { SYSTEM_NAMESPACES } from './strategies/namespaces';
import { admitDefaultStorageClass, admitStorageProtection } from './strategies/storage';
import type { Strategy, StrategyContext } from './strategy';

/** Options of create, update and patch (metav1.CreateOptions/UpdateOptions/PatchOptions). */
export interface WriteOptions {
  /** "Strict", "Warn" (default) or "Ignore". */
  fieldValidation?: string;
  dryRun?: boolean;
  fieldManager?: string;
}

/** Result of a write. */
export interface WriteResult {
  object: KubeObject;
  /** Warnings for the `Warning` header (unknown fields with fieldValidation=Warn). */
  warnings: string[];
}

/** metav1.ListOptions. */
export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  limit?: number;
  continue?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  sendInitialEvents?: boolean;
}

/** Result of a delete: the object (deleted, or marked for deletion) or a Status, and whether it is gone. */
export interface DeleteResult {
  object: KubeObject | Status;
  /** True when the object was removed from storage (HTTP 200), false when deletion is pending (202). */
  deleted: boolean;
}

/** A subresource the update path understands. */
export type UpdateSubresource = '' | 'status' | 'finalize' | 'binding' | 'ephemeralcontainers';

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

function clone<T>(o: T): T {
  return structuredClone(o);
}

function isObj(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 3339 at second precision (metav1.Time). */
export function formatTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Parses a resourceVersion; throws 400 on garbage. */
export function parseResourceVersion(rv: string): number {
  if (!/^\d{1,15}$/.test(rv))
    throw badRequest(`invalid resource version "${rv}": resourceVersion must be a non-negative integer`);
  return Number(rv);
}

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

function decodeContinue(token: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueToken;
    if (
      t.v !== 'meta.k8s.io/v1' ||
      typeof t.rv !== 'number' ||
      typeof t.start !== 'string' ||
      t.start.includes('/..') ||
      t.start.startsWith('/')
    )
      throw new Error('bad');
    return t;
  } catch {
    throw badRequest(
      'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    );
  }
}

/** Everything the registry needs. */
export interface RegistryDeps {
  storage: Storage;
  cache: WatchCache;
  ctx: StrategyContext;
  /** Admission settings (DefaultTolerationSeconds). */
  admission?: AdmissionOptions;
}

/** CRUD, list and watch for every resource of the registry table. */
export class GenericRegistry {
  private readonly storage: Storage;
  private readonly cache: WatchCache;
  private readonly ctx: StrategyContext;
  private readonly admission: AdmissionOptions;

  constructor(deps: RegistryDeps) {
    this.storage = deps.storage;
    this.cache = deps.cache;
    this.ctx = deps.ctx;
    this.admission = deps.admission ?? {};
  }

  /** Encodes an object for storage (resourceVersion dropped; it is the key's modRevision). */
  static encode(obj: KubeObject): Uint8Array {
    const m = obj.metadata;
    const rv = m.resourceVersion;
    delete m.resourceVersion;
    const buf = Buffer.from(JSON.stringify(obj));
    if (rv !== undefined) m.resourceVersion = rv;
    return buf;
  }

  /** Decodes a stored value, setting resourceVersion to the modRevision. */
  static decode(value: Uint8Array, modRevision: number): KubeObject {
    const obj = JSON.parse(
      Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'),
    ) as KubeObject;
    obj.metadata ??= {};
    obj.metadata.resourceVersion = String(modRevision);
    return obj;
  }

  private strategy(info: ResourceInfo): Strategy {
    return strategyFor(info.resource);
  }

  /** Checks the body is an object of the resource's kind and reports unknown fields. */
  private decodeBody(info: ResourceInfo, body: unknown, opts: WriteOptions, warnings: string[]): KubeObject {
    if (!isObj(body))
      throw badRequest(`the body of the request was not a JSON object: expected ${info.kind}`);
    const gv = groupVersion(info);
    if (body.apiVersion !== undefined && body.apiVersion !== gv)
      throw badRequest(
        `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${gv})`,
      );
    if (body.kind !== undefined && body.kind !== info.kind)
      throw badRequest(
        `${info.kind} in version "${info.version}" cannot be handled as a ${String(body.kind)}: the kind in the data (${String(body.kind)}) does not match the expected kind (${info.kind})`,
      );
    if (body.metadata === undefined || body.metadata === null) body.metadata = {};
    if (!isObj(body.metadata))
      throw badRequest(
        `${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: json: cannot unmarshal ${Array.isArray(body.metadata) ? 'array' : typeof body.metadata} into Go struct field ${info.kind}.metadata of type v1.ObjectMeta`,
      );
    const obj = body as KubeObject;
    obj.apiVersion = gv;
    obj.kind = info.kind;
    const unknown = this.schemaCheck(info, obj, opts, warnings);
    return normalizeObject(obj, unknown);
  }

  /** Reports type errors (400) and unknown fields (400 Strict, warnings Warn); returns true when there were unknown fields. */
  private schemaCheck(info: ResourceInfo, obj: KubeObject, opts: WriteOptions, warnings: string[]): boolean {
    const { unknown, invalid: bad } = checkSchema(info, obj);
    if (bad.length)
      throw new ApiError(
        failure(
          400,
          'BadRequest',
          `${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: ${bad.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ')}`,
          { causes: bad },
        ),
      );
    if (!unknown.length) return false;
    const mode = opts.fieldValidation || 'Warn';
    if (mode === 'Strict')
      throw new ApiError(
        failure(
          400,
          'BadRequest',
          `strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`,
          {
            causes: unknown.map((f) => ({
              reason: 'FieldValueInvalid',
              message: `unknown field "${f}"`,
              field: f,
            })),
          },
        ),
      );
    if (mode === 'Warn') for (const f of unknown) warnings.push(`unknown field "${f}"`);
    return true;
  }

  /** Checks fieldValidation is one of the allowed values (400 otherwise). */
  static checkFieldValidation(v: string | undefined): void {
    if (v && !['Strict', 'Warn', 'Ignore'].includes(v))
      throw badRequest(
        `fieldValidation: Unsupported value: "${v}": supported values: "Ignore", "Strict", "Warn"`,
      );
  }

  /** Namespace state: undefined (missing), 'Active' or 'Terminating'. */
  async namespacePhase(name: string): Promise<string | undefined> {
    const nsInfo = resourceForPath('', 'v1', 'namespaces')!;
    const key = objectKey(nsInfo, undefined, name);
    let ns = this.cache.state.get(key) as (KubeObject & { status?: any }) | undefined;
    if (!ns) {
      const kv = await this.storage.get(key);
      if (kv) ns = GenericRegistry.decode(kv.value, kv.modRevision);
    }
    if (!ns) return undefined;
    return ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating' ? 'Terminating' : 'Active';
  }

  private async admitNamespace(info: ResourceInfo, namespace: string, name: string): Promise<void> {
    if (!info.namespaced) return;
    const phase = await this.namespacePhase(namespace);
    if (!phase) throw notFound('', 'namespaces', namespace);
    if (phase === 'Terminating') {
      const msg = `unable to create new content in namespace ${namespace} because it is being terminated`;
      const err = forbidden(info.group, info.resource, name, msg);
      err.status.details!.causes = [
        {
          reason: 'NamespaceTerminating',
          message: `namespace ${namespace} is being terminated`,
          field: 'metadata.namespace',
        },
      ];
      throw err;
    }
  }

  private checkNamespace(info: ResourceInfo, obj: KubeObject, namespace: string | undefined): void {
    if (!info.namespaced) {
      delete obj.metadata.namespace;
      return;
    }
    const ons = obj.metadata.namespace;
    if (ons !== undefined && ons !== '' && namespace && ons !== namespace)
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    if (namespace) obj.metadata.namespace = namespace;
  }

  /** Creates an object. Errors: 400, 403 (terminating namespace), 404 (namespace), 409 AlreadyExists, 422. */
  async create(
    info: ResourceInfo,
    namespace: string | undefined,
    body: unknown,
    opts: WriteOptions = {},
  ): Promise<WriteResult> {
    GenericRegistry.checkFieldValidation(opts.fieldValidation);
    const warnings: string[] = [];
    let obj = this.decodeBody(info, body, opts, warnings);
    const m = obj.metadata;
    this.checkNamespace(info, obj, namespace);
    if (m.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
    if (!m.name && m.generateName && typeof m.generateName === 'string') {
      let suffix = '';
      for (let i = 0; i < 5; i++) suffix += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
      m.name = `${m.generateName.slice(0, 58)}${suffix}`;
    }
    const strategy = this.strategy(info);
    if (strategy.statusSubresource && !strategy.keepStatusOnCreate) delete (obj as any).status;
    m.uid = randomUUID();
    m.creationTimestamp = formatTime(this.ctx.now());
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    delete (m as any).selfLink;
    if (strategy.generation) m.generation = 1;
    else delete m.generation;
    obj = defaultObject(obj, this.admission);
    if (info.resource === 'persistentvolumeclaims') {
      const sc = resourceForPath('storage.k8s.io', 'v1', 'storageclasses');
      if (sc) admitDefaultStorageClass(obj as never, this.cache.snapshot(resourcePrefix(sc)));
    }
    admitStorageProtection(info.resource, obj);
    let causes = validateObject(info, obj);
    if (causes.length) throw invalid(info.group, info.kind, String(m.name ?? ''), causes);
    await this.admitNamespace(info, m.namespace ?? '', m.name!);
    strategy.prepareForCreate?.(obj, this.ctx);
    causes = validateObject(info, obj);
    if (causes.length) {
      strategy.rollbackCreate?.(obj, this.ctx);
      throw invalid(info.group, info.kind, String(m.name ?? ''), causes);
    }
    if (opts.dryRun) {
      strategy.rollbackCreate?.(obj, this.ctx);
      return { object: obj, warnings };
    }
    const key = objectKey(info, m.namespace, m.name!);
    try {
      const rev = await this.storage.create(key, GenericRegistry.encode(obj));
      m.resourceVersion = String(rev);
    } catch (err) {
      strategy.rollbackCreate?.(obj, this.ctx);
      if (err instanceof KeyExistsError) throw alreadyExists(info.group, info.resource, m.name!);
      throw err;
    }
    return { object: obj, warnings };
  }

  /** Reads one object. Errors: 404. */
  async get(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    resourceVersion?: string,
  ): Promise<KubeObject> {
    if (resourceVersion) parseResourceVersion(resourceVersion);
    const kv = await this.storage.get(objectKey(info, namespace, name));
    if (!kv) throw notFound(info.group, info.resource, name);
    return GenericRegistry.decode(kv.value, kv.modRevision);
  }

  /** Field values for field selectors (metadata.name, metadata.namespace + the kind's own). */
  fieldSet(info: ResourceInfo, obj: KubeObject): Record<string, string> {
    const f: Record<string, string> = { 'metadata.name': obj.metadata.name ?? '' };
    if (info.namespaced) f['metadata.namespace'] = obj.metadata.namespace ?? '';
    return { ...f, ...(this.strategy(info).fields?.(obj) ?? {}) };
  }

  /** Compiles the selectors of list options into one predicate. Errors: 400. */
  matcher(info: ResourceInfo, opts: ListOptions, name?: string): (obj: KubeObject) => boolean {
    const lm = labelMatcher(parseLabelSelector(opts.labelSelector ?? ''));
    const freqs = parseFieldSelector(opts.fieldSelector ?? '');
    if (freqs.length) {
      const known = new Set(
        Object.keys(this.fieldSet(info, { kind: info.kind, metadata: {} } as KubeObject)),
      );
      for (const r of freqs)
        if (!known.has(r.field)) throw badRequest(`field label not supported: ${r.field}`);
    }
    const fm = fieldMatcher(freqs);
    const noLabels = !opts.labelSelector?.trim();
    return (obj) =>
      (name === undefined || obj.metadata.name === name) &&
      (noLabels || lm(obj.metadata.labels ?? {})) &&
      (!freqs.length || fm(this.fieldSet(info, obj)));
  }

  /** Lists objects. Errors: 400 (selectors, resourceVersion, continue), 410 Expired, 504. */
  async list(info: ResourceInfo, namespace: string | undefined, opts: ListOptions = {}): Promise<KubeList> {
    const prefix = collectionPrefix(info, namespace);
    const match = this.matcher(info, opts);
    const filtered = !!(opts.labelSelector?.trim() || opts.fieldSelector?.trim());
    let revision = 0;
    let startKey = prefix;
    if (opts.continue) {
      const t = decodeContinue(opts.continue);
      revision = t.rv;
      startKey = prefix + t.start;
    } else if (opts.resourceVersion) {
      const rv = parseResourceVersion(opts.resourceVersion);
      if (opts.resourceVersionMatch && !['Exact', 'NotOlderThan'].includes(opts.resourceVersionMatch))
        throw badRequest(
          `resourceVersionMatch: Unsupported value: "${opts.resourceVersionMatch}": supported values: "Exact", "NotOlderThan"`,
        );
      if (rv > 0) {
        const cur = await this.storage.currentRevision();
        if (rv > cur) throw timeout(`Too large resource version: ${rv}, current: ${cur}`);
        if (opts.resourceVersionMatch === 'Exact') revision = rv;
      }
    } else if (opts.resourceVersionMatch) {
      throw badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
    }
    const limit = opts.limit && opts.limit > 0 ? Math.floor(opts.limit) : 0;
    if (!limit && !opts.continue && opts.resourceVersionMatch !== 'Exact') {
      const cached = await this.listFromCache(info, prefix, match).catch((err) => {
        // a cache that cannot catch up (store watch restarting) falls back to reading the store
        if (err instanceof ApiError && err.code === 504) return undefined;
        throw err;
      });
      if (cached) return cached;
    }
    const items: KubeObject[] = [];
    let more = false;
    let lastKey = '';
    let remaining: number | undefined;
    for (;;) {
      const want = limit ? Math.max(limit - items.length, filtered ? 100 : 1) : 0;
      let page;
      try {
        page = await this.storage.list(prefix, { startKey, limit: want, revision: revision || undefined });
      } catch (err) {
        if (err instanceof StorageCompactedError) {
          if (opts.continue)
            throw gone(
              'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
            );
          throw gone(`too old resource version: ${revision} (${err.compactRevision})`);
        }
        if (err instanceof StorageFutureRevisionError)
          throw timeout(`Too large resource version: ${revision}`);
        throw err;
      }
      revision = page.revision;
      let i = 0;
      for (; i < page.items.length; i++) {
        const it = page.items[i];
        const obj = GenericRegistry.decode(it.value, it.modRevision);
        if (match(obj)) {
          obj.apiVersion ??= groupVersion(info);
          obj.kind ??= info.kind;
          items.push(obj);
        }
        lastKey = it.key;
        if (limit && items.length >= limit) break;
      }
      if (limit && items.length >= limit) {
        more = i < page.items.length - 1 || page.more;
        if (!filtered && more) remaining = page.remaining + (page.items.length - 1 - i);
        break;
      }
      if (!page.more || !page.items.length) break;
      startKey = page.items[page.items.length - 1].key + '\0';
    }
    const list: KubeList = {
      kind: `${info.kind}List`,
      apiVersion: groupVersion(info),
      metadata: { resourceVersion: String(revision) },
      items,
    };
    if (more) {
      list.metadata.continue = encodeContinue(revision, lastKey.slice(prefix.length) + '\0');
      if (remaining !== undefined) list.metadata.remainingItemCount = remaining;
    }
    return list;
  }

  /**
   * A complete list served from the watch cache once it has caught up with the store's current
   * revision (upstream's consistent list from cache): no store read, no decoding. The items are
   * the cache's objects — callers must treat them as read-only.
   */
  private async listFromCache(
    info: ResourceInfo,
    prefix: string,
    match: (o: KubeObject) => boolean,
  ): Promise<KubeList> {
    await this.cache.waitForRevision(await this.storage.currentRevision(), 1000);
    const keys: string[] = [];
    for (const k of this.cache.state.keys()) if (k.startsWith(prefix)) keys.push(k);
    keys.sort();
    const items: KubeObject[] = [];
    for (const k of keys) {
      const o = this.cache.state.get(k)!;
      if (match(o)) items.push(o);
    }
    const list: KubeList = {
      kind: `${info.kind}List`,
      apiVersion: groupVersion(info),
      metadata: { resourceVersion: String(this.cache.revision) },
      items,
    };
    Object.defineProperty(list, ITEMS_JSON, {
      value: () => items.map((o) => this.cache.jsonOf(o)),
      enumerable: false,
    });
    return list;
  }

  /**
   * Read-modify-write with optimistic concurrency (upstream GuaranteedUpdate): `tryUpdate` gets a
   * copy of the current object and returns the new one. A resourceVersion in the returned object
   * is a precondition (409 Conflict when stale); without one the update retries on races.
   */
  async guaranteedUpdate(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    tryUpdate: (current: KubeObject) => KubeObject | Promise<KubeObject>,
    opts: WriteOptions = {},
    subresource: UpdateSubresource = '',
  ): Promise<WriteResult> {
    GenericRegistry.checkFieldValidation(opts.fieldValidation);
    const key = objectKey(info, namespace, name);
    const strategy = this.strategy(info);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.storage.get(key);
      if (!kv) throw notFound(info.group, info.resource, name);
      const old = GenericRegistry.decode(kv.value, kv.modRevision);
      const warnings: string[] = [];
      const proposed = await tryUpdate(clone(old));
      if (!isObj(proposed))
        throw badRequest(`the body of the request was not a JSON object: expected ${info.kind}`);
      const body = this.decodeBody(info, proposed, opts, warnings);
      const clientRV = body.metadata.resourceVersion;
      if (clientRV) parseResourceVersion(String(clientRV));
      if (clientRV && String(clientRV) !== old.metadata.resourceVersion)
        throw conflict(info.group, info.resource, name, OPTIMISTIC_LOCK_MESSAGE);
      if (body.metadata.name !== undefined && body.metadata.name !== name)
        throw badRequest(
          `the name of the object (${String(body.metadata.name)}) does not match the name on the URL (${name})`,
        );
      this.checkNamespace(info, body, namespace);
      let obj = this.prepareUpdate(info, strategy, body, old, subresource);
      obj = defaultObject(obj, this.admission);
      // pods/ephemeralcontainers is the one sanctioned way to change that part of a pod spec
      const causes = [
        ...validateObject(info, obj, subresource === 'ephemeralcontainers' ? undefined : old),
        ...(subresource === '' ? (strategy.validateUpdate?.(obj, old) ?? []) : []),
      ];
      if (causes.length) throw invalid(info.group, info.kind, name, causes);
      const encoded = GenericRegistry.encode(obj);
      if (Buffer.compare(Buffer.from(encoded), Buffer.from(GenericRegistry.encode(old))) === 0)
        return { object: old, warnings };
      if (opts.dryRun) return { object: obj, warnings };
      if (obj.metadata.deletionTimestamp && this.readyToDelete(strategy, obj)) {
        try {
          const rev = await this.storage.delete(key, kv.modRevision);
          obj.metadata.resourceVersion = String(rev);
          strategy.afterDelete?.(obj, this.ctx);
          return { object: obj, warnings };
        } catch (err) {
          if (err instanceof RevisionConflictError && !clientRV && attempt < 20) continue;
          throw this.mapWriteError(err, info, name);
        }
      }
      try {
        const rev = await this.storage.update(key, encoded, kv.modRevision);
        obj.metadata.resourceVersion = String(rev);
        return { object: obj, warnings };
      } catch (err) {
        if (err instanceof RevisionConflictError && !clientRV && attempt < 20) continue;
        throw this.mapWriteError(err, info, name);
      }
    }
  }

  private mapWriteError(err: unknown, info: ResourceInfo, name: string): unknown {
    if (err instanceof RevisionConflictError)
      return conflict(info.group, info.resource, name, OPTIMISTIC_LOCK_MESSAGE);
    if (err instanceof KeyNotFoundError) return notFound(info.group, info.resource, name);
    return err;
  }

  private readyToDelete(strategy: Strategy, obj: KubeObject): boolean {
    if (strategy.readyToDelete) return strategy.readyToDelete(obj);
    return !(obj.metadata.finalizers ?? []).length && (obj.metadata.deletionGracePeriodSeconds ?? 0) === 0;
  }

  private prepareUpdate(
    info: ResourceInfo,
    strategy: Strategy,
    body: KubeObject,
    old: KubeObject,
    subresource: UpdateSubresource,
  ): KubeObject {
    let obj: KubeObject;
    if (subresource === 'status') {
      obj = clone(old);
      (obj as any).status = (body as any).status;
      if ((obj as any).status === undefined) delete (obj as any).status;
    } else if (subresource === 'binding') {
      obj = clone(old);
      (obj as any).spec = { ...((old as any).spec ?? {}), nodeName: (body as any).spec?.nodeName };
      (obj as any).status = (body as any).status;
    } else if (subresource === 'ephemeralcontainers') {
      obj = clone(old);
      const eph = (body as any).spec?.ephemeralContainers;
      (obj as any).spec = { ...((old as any).spec ?? {}), ephemeralContainers: eph };
      if (eph === undefined) delete (obj as any).spec.ephemeralContainers;
    } else if (subresource === 'finalize') {
      obj = clone(old);
      (obj as any).spec = { ...((old as any).spec ?? {}), finalizers: (body as any).spec?.finalizers ?? [] };
    } else {
      obj = body;
      if (strategy.statusSubresource) {
        if ((old as any).status === undefined) delete (obj as any).status;
        else (obj as any).status = (old as any).status;
      }
    }
    const m = obj.metadata;
    const o = old.metadata;
    m.name = o.name;
    if (info.namespaced) m.namespace = o.namespace;
    m.uid = o.uid;
    m.creationTimestamp = o.creationTimestamp;
    if (o.deletionTimestamp) m.deletionTimestamp = o.deletionTimestamp;
    else delete m.deletionTimestamp;
    if (o.deletionGracePeriodSeconds !== undefined)
      m.deletionGracePeriodSeconds = o.deletionGracePeriodSeconds;
    else delete m.deletionGracePeriodSeconds;
    if (o.generation !== undefined) m.generation = o.generation;
    else delete m.generation;
    m.resourceVersion = o.resourceVersion;
    delete (m as any).selfLink;
    if (subresource === '') strategy.prepareForUpdate?.(obj, old, this.ctx);
    if (strategy.generation && JSON.stringify((obj as any).spec) !== JSON.stringify((old as any).spec))
      m.generation = (o.generation ?? 0) + 1;
    for (const k of ['labels', 'annotations'] as const) if (m[k] === null) delete m[k];
    return obj;
  }

  /** Replaces an object (PUT). Errors: 400, 404, 409 Conflict, 422. */
  async update(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    body: unknown,
    opts: WriteOptions = {},
    subresource: UpdateSubresource = '',
  ): Promise<WriteResult> {
    if (!isObj(body))
      throw badRequest(`the body of the request was not a JSON object: expected ${info.kind}`);
    return this.guaranteedUpdate(info, namespace, name, () => clone(body) as KubeObject, opts, subresource);
  }

  /**
   * Deletes an object with DeleteOptions semantics: preconditions, propagationPolicy stored as
   * the `orphan`/`foregroundDeletion` finalizers, graceful deletion, finalizers. Errors: 404, 409.
   */
  async delete(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    opts: DeleteOptions = {},
  ): Promise<DeleteResult> {
    const key = objectKey(info, namespace, name);
    const strategy = this.strategy(info);
    if (
      opts.gracePeriodSeconds !== undefined &&
      (typeof opts.gracePeriodSeconds !== 'number' || !Number.isInteger(opts.gracePeriodSeconds))
    )
      throw badRequest('gracePeriodSeconds must be an integer');
    const policy =
      opts.propagationPolicy ??
      (opts.orphanDependents === true
        ? 'Orphan'
        : opts.orphanDependents === false
          ? 'Background'
          : undefined);
    if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy))
      throw badRequest(
        `propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`,
      );
    for (let attempt = 0; ; attempt++) {
      const kv = await this.storage.get(key);
      if (!kv) throw notFound(info.group, info.resource, name);
      const old = GenericRegistry.decode(kv.value, kv.modRevision);
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== old.metadata.uid)
        throw conflict(
          info.group,
          info.resource,
          name,
          `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`,
        );
      if (pre?.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion)
        throw conflict(
          info.group,
          info.resource,
          name,
          `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`,
        );
      if (info.resource === 'namespaces') {
        if (SYSTEM_NAMESPACES.slice(0, 3).includes(name))
          throw forbidden('', 'namespaces', name, 'this namespace may not be deleted');
        if (old.metadata.deletionTimestamp)
          throw conflict(
            '',
            'namespaces',
            name,
            'The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.',
          );
      }
      const obj = clone(old);
      const m = obj.metadata;
      const fins = new Set(m.finalizers ?? []);
      if (policy === 'Orphan') {
        fins.add('orphan');
        fins.delete('foregroundDeletion');
      } else if (policy === 'Foreground') {
        fins.add('foregroundDeletion');
        fins.delete('orphan');
      } else if (policy === 'Background') {
        fins.delete('orphan');
        fins.delete('foregroundDeletion');
      }
      if (fins.size) m.finalizers = [...fins];
      else delete m.finalizers;
      const finalizersChanged =
        JSON.stringify(m.finalizers ?? []) !== JSON.stringify(old.metadata.finalizers ?? []);
      const grace = strategy.gracePeriod?.(obj, opts.gracePeriodSeconds);
      const now = this.ctx.now();
      if (old.metadata.deletionTimestamp) {
        const cur = old.metadata.deletionGracePeriodSeconds ?? 0;
        if (grace !== undefined && grace < cur) {
          m.deletionTimestamp = formatTime(new Date(now.getTime() + grace * 1000));
          m.deletionGracePeriodSeconds = grace;
        } else if (!finalizersChanged) {
          return { object: old, deleted: false };
        }
      } else if (info.resource === 'namespaces') {
        m.deletionTimestamp = formatTime(now);
        m.deletionGracePeriodSeconds = 0;
        (obj as any).status = { ...((obj as any).status ?? {}), phase: 'Terminating' };
      } else if (grace !== undefined && grace > 0) {
        m.deletionTimestamp = formatTime(new Date(now.getTime() + grace * 1000));
        m.deletionGracePeriodSeconds = grace;
      } else {
        m.deletionTimestamp = formatTime(now);
        m.deletionGracePeriodSeconds = 0;
      }
      if (opts.dryRun?.length) return { object: obj, deleted: !!this.readyToDelete(strategy, obj) };
      try {
        if (this.readyToDelete(strategy, obj)) {
          const rev = await this.storage.delete(key, kv.modRevision);
          strategy.afterDelete?.(old, this.ctx);
          const deleted = clone(old);
          deleted.metadata.resourceVersion = String(rev);
          if (strategy.returnDeletedObject) return { object: deleted, deleted: true };
          return {
            object: {
              kind: 'Status',
              apiVersion: 'v1',
              metadata: {},
              status: 'Success',
              details: { name, group: info.group || undefined, kind: info.resource, uid: old.metadata.uid },
            },
            deleted: true,
          };
        }
        const rev = await this.storage.update(key, GenericRegistry.encode(obj), kv.modRevision);
        m.resourceVersion = String(rev);
        return { object: obj, deleted: false };
      } catch (err) {
        if (err instanceof RevisionConflictError && attempt < 20) continue;
        if (err instanceof KeyNotFoundError) throw notFound(info.group, info.resource, name);
        throw err;
      }
    }
  }

  /** Deletes every object matching the list options; returns the affected objects as a list. */
  async deleteCollection(
    info: ResourceInfo,
    namespace: string | undefined,
    listOpts: ListOptions,
    opts: DeleteOptions = {},
  ): Promise<KubeList> {
    const list = await this.list(info, namespace, {
      labelSelector: listOpts.labelSelector,
      fieldSelector: listOpts.fieldSelector,
    });
    const items: KubeObject[] = [];
    for (const it of list.items) {
      try {
        const r = await this.delete(info, it.metadata.namespace, it.metadata.name!, opts);
        items.push(r.object.kind === 'Status' ? it : (r.object as KubeObject));
      } catch (err) {
        if (err instanceof ApiError && err.code === 404) continue;
        throw err;
      }
    }
    return {
      kind: `${info.kind}List`,
      apiVersion: groupVersion(info),
      metadata: { resourceVersion: list.metadata.resourceVersion },
      items,
    };
  }

  /**
   * Starts a watch. resourceVersion unset or "0" (or sendInitialEvents) sends the current objects
   * as ADDED first; otherwise events after that revision. Errors: 400, 410 Expired, 504.
   * Returns a stop function.
   */
  async watch(
    info: ResourceInfo,
    namespace: string | undefined,
    opts: ListOptions,
    sink: CacheSink,
    name?: string,
  ): Promise<() => void> {
    const filter = this.matcher(info, opts, name);
    const rvStr = opts.resourceVersion ?? '';
    let afterRevision: number | undefined;
    let initialEvents = false;
    let endBookmark = false;
    const rv = rvStr ? parseResourceVersion(rvStr) : 0;
    if (opts.sendInitialEvents) {
      if (opts.resourceVersionMatch !== 'NotOlderThan')
        throw invalid('meta.k8s.io', 'ListOptions', '', [
          {
            reason: 'FieldValueForbidden',
            message: 'Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
            field: 'sendInitialEvents',
          },
        ]);
      if (!opts.allowWatchBookmarks)
        throw invalid('meta.k8s.io', 'ListOptions', '', [
          {
            reason: 'FieldValueForbidden',
            message: 'Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true',
            field: 'allowWatchBookmarks',
          },
        ]);
      initialEvents = true;
      endBookmark = true;
    } else if (opts.resourceVersionMatch) {
      throw badRequest('resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
    } else if (rv === 0) {
      initialEvents = true;
    } else {
      afterRevision = rv;
    }
    if (rv > this.cache.revision) {
      const cur = await this.storage.currentRevision();
      if (rv > cur) throw timeout(`Too large resource version: ${rv}, current: ${cur}`);
      await this.cache.waitForRevision(rv);
    }
    const gv = groupVersion(info);
    return this.cache.watch(
      {
        prefix: collectionPrefix(info, namespace),
        afterRevision,
        initialEvents,
        initialEventsEndBookmark: endBookmark,
        filter,
        allowBookmarks: !!opts.allowWatchBookmarks,
        bookmark: (r, annotations) => ({
          kind: info.kind,
          apiVersion: gv,
          metadata: annotations ? { resourceVersion: r, annotations } : { resourceVersion: r },
        }),
      },
      sink,
    );
  }
}
