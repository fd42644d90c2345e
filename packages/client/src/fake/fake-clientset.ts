/**
 * An in-memory {@link Clientset} for unit tests, after client-go's `kubernetes/fake` clientset:
 * objects live in a tracker with one cluster-wide resourceVersion counter; every call is recorded
 * in {@link FakeClientset.actions}; reactors (prependReactor) can answer or fail any call.
 *
 * Semantics follow the apiserver where it is cheap to do so:
 * - create sets uid, creationTimestamp (second precision), generation 1 and resourceVersion;
 *   honours generateName (5 random characters, as names.SimpleNameGenerator); a missing namespace
 *   of a namespaced object defaults to "default"; a set resourceVersion is 400; kinds with a
 *   status subresource start with no status (nodes keep theirs; pods get { phase: "Pending" }).
 *   Use {@link FakeClientset.seed} to store objects with a status.
 * - update fails with 409 Conflict on a stale metadata.resourceVersion, keeps status for resources
 *   with a status subresource, bumps generation when anything outside metadata/status changes, and
 *   is a no-op (no new resourceVersion, no event) when nothing changed.
 * - delete sets deletionTimestamp while finalizers remain (the object goes away when an update
 *   removes the last one); with the `gcFinalizers` option, propagationPolicy Orphan/Foreground
 *   add the "orphan" / "foregroundDeletion" finalizer (left for a garbage collector); pods, services and
 *   namespaces answer the deleted object, other kinds a Success Status; a bound pod (spec.nodeName set, not Succeeded/Failed) is deleted
 *   gracefully (deletionTimestamp = now + grace, default spec.terminationGracePeriodSeconds or 30 s)
 *   until deleted again with gracePeriodSeconds 0, as the pod registry does.
 * - patch: "json" (RFC 6902 via fast-json-patch), "merge" (RFC 7386) and "strategic" (list merge
 *   keys and directives from @keelson/api's schemas; kinds without a schema merge like "merge");
 *   "apply" is applied as a merge patch (no field ownership/conflicts) and creates a missing object.
 * - subresources: status (get/update/patch), pods/binding (sets spec.nodeName and the
 *   PodScheduled condition; 409 if already bound), pods/eviction (deletes), scale (autoscaling/v1
 *   Scale over spec.replicas).
 * - watch: ADDED/MODIFIED/DELETED delivered asynchronously (microtasks) in resourceVersion order;
 *   an object that stops/starts matching a selector is seen as DELETED/ADDED; a watch from an
 *   explicit resourceVersion replays the kept history, and one older than the history
 *   (see {@link FakeClientset.compact}) ends with 410 Expired; an unset or "0" resourceVersion
 *   starts with synthetic ADDED events for the current objects.
 * Not modelled: admission, validation, defaulting, owner-reference garbage collection, namespace
 * existence/termination (objects may be created in any namespace), list resourceVersion
 * semantics (a list always reads the latest state), bookmarks.
 */
import { randomUUID } from 'node:crypto';
import {
  groupVersion,
  type DeleteOptions,
  type KubeList,
  type KubeObject,
  type ResourceInfo,
  type Status,
  type WatchEvent,
} from '@keelson/api';
import type {
  Clientset,
  ListOptions,
  PatchType,
  ResourceClient,
  WatchHandle,
  WatchHandlers,
  WriteOptions,
} from '../interfaces';
import {
  ApiError,
  OPTIMISTIC_LOCK_MESSAGE,
  TransportError,
  newAlreadyExists,
  newBadRequest,
  newConflict,
  newGone,
  newInvalid,
  newNotFound,
} from '../errors';
import { applyPatchOfType } from '../patch';
import { resolveResource } from '../resolve';
import { matchesSelectors, validateSelectors } from '../selectors';

/** The verbs recorded in {@link FakeClientset.actions} (Kubernetes API verbs). */
export type FakeVerb =
  'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** One recorded API call, as client-go's testing.Action. */
export interface FakeAction {
  verb: FakeVerb;
  /** Plural resource name, e.g. "pods". */
  resource: string;
  /** API group of the resource ("" for core). */
  group?: string;
  /** The namespace the call addressed; undefined for cluster-scoped resources and all-namespace calls. */
  namespace?: string;
  name?: string;
  subresource?: string;
  /** A deep copy of the object sent (create/update/subresource writes). */
  object?: unknown;
  /** The patch as sent (patch). */
  patch?: unknown;
  patchType?: PatchType;
  listOptions?: ListOptions;
  deleteOptions?: DeleteOptions;
}

/**
 * What a reactor answers: `{ error }` fails the call with that error, `{ result }` resolves it with
 * that value (for watch, a result is ignored and the watch stays open but silent). Returning
 * undefined passes the call on to the next reactor and finally to the object tracker.
 */
export type ReactorOutcome = { error: Error } | { result: unknown };

/** A reactor; runs synchronously when the call is made. */
export type Reactor = (action: FakeAction) => ReactorOutcome | undefined | void;

/** Options of {@link FakeClientset}. */
export interface FakeClientsetOptions {
  /** Objects to {@link FakeClientset.seed} with. */
  objects?: KubeObject[];
  /** Wall clock for timestamps, ms since the epoch; default Date.now. */
  now?: () => number;
  /** Watch events kept for replay; older ones are compacted (default 10000). */
  historyLimit?: number;
  /** Extra resources (e.g. custom resources) besides @keelson/api's registry. */
  extraResources?: ResourceInfo[];
  /**
   * Model the apiserver's propagationPolicy handling: Orphan / Foreground deletes add the
   * "orphan" / "foregroundDeletion" finalizer and leave the object for a garbage collector
   * (default false: like client-go's fake, the policy is recorded but the object goes at once).
   */
  gcFinalizers?: boolean;
}

interface HistoryEntry {
  rv: number;
  resKey: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
  old?: KubeObject;
}

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

function resKeyOf(info: ResourceInfo): string {
  return `${info.group}/${info.resource}`;
}
function objKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}
function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
function clone<T>(v: T): T {
  return v === undefined ? v : structuredClone(v);
}
function withoutMetaStatus(o: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = o as KubeObject & { status?: unknown };
  return JSON.stringify(rest);
}
function specOf(o: unknown): Record<string, unknown> {
  return ((o as { spec?: Record<string, unknown> }).spec ??= {});
}

class FakeWatcher {
  private queue: Array<WatchEvent | { close: Error | undefined }> = [];
  private scheduled = false;
  closed = false;
  constructor(
    readonly resKey: string,
    readonly info: ResourceInfo,
    readonly namespace: string | undefined,
    readonly opts: ListOptions,
    private readonly handlers: WatchHandlers<KubeObject>,
    private readonly onDone: (w: FakeWatcher) => void,
  ) {}

  private matches(o: KubeObject | undefined): boolean {
    if (!o) return false;
    if (this.info.namespaced && this.namespace && o.metadata.namespace !== this.namespace) return false;
    return matchesSelectors(o, this.opts.labelSelector, this.opts.fieldSelector, this.info.kind);
  }

  /** Translates a change to what this watcher sees (selector transitions become ADDED/DELETED). */
  offer(e: HistoryEntry): void {
    if (this.closed || e.resKey !== this.resKey) return;
    const now = this.matches(e.object);
    if (e.type === 'MODIFIED') {
      const before = this.matches(e.old);
      if (now && before) this.push({ type: 'MODIFIED', object: clone(e.object) });
      else if (now) this.push({ type: 'ADDED', object: clone(e.object) });
      else if (before) this.push({ type: 'DELETED', object: clone(e.object) });
    } else if (now) this.push({ type: e.type, object: clone(e.object) });
  }

  push(item: WatchEvent | { close: Error | undefined }): void {
    if (this.closed) return;
    this.queue.push(item);
    if ('close' in item) this.closed = true;
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const item = this.queue.shift()!;
      if ('close' in item) {
        this.queue = [];
        this.onDone(this);
        this.handlers.onClose?.(item.close);
        return;
      }
      try {
        this.handlers.onEvent(item);
      } catch {
        // a throwing handler must not break delivery to the rest of the stream
      }
    }
  }

  stop(err?: Error): void {
    if (this.closed) return;
    this.queue = [];
    this.push({ close: err });
  }
}

/**
 * The in-memory Clientset. Construct, optionally {@link seed}, hand `resource()` clients to the code
 * under test, then assert on {@link actions}.
 */
export class FakeClientset implements Clientset {
  /** Every call made through this clientset's resource clients, in call order. */
  readonly actions: FakeAction[] = [];
  private readonly reactors: Array<{ verb: string; resource: string; fn: Reactor }> = [];
  private readonly stores = new Map<string, Map<string, KubeObject>>();
  private readonly watchers = new Set<FakeWatcher>();
  private history: HistoryEntry[] = [];
  private compactedRv = 0;
  private rv = 0;
  private readonly now: () => number;
  private readonly historyLimit: number;
  private readonly extra: ResourceInfo[];
  private readonly gcFinalizers: boolean;
  private readonly clients = new Map<string, ResourceClient<KubeObject>>();

  constructor(opts: FakeClientsetOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.historyLimit = opts.historyLimit ?? 10000;
    this.extra = opts.extraResources ?? [];
    this.gcFinalizers = opts.gcFinalizers ?? false;
    if (opts.objects) this.seed(opts.objects);
  }

  /** Forgets the recorded actions. */
  clearActions(): void {
    this.actions.length = 0;
  }

  /**
   * Puts a reactor in front of all others (client-go PrependReactor). `verb` and `resource`
   * (plural, e.g. "pods") may be "*". A subresource call matches `resource` too; compare
   * `action.subresource` in the reactor to tell them apart.
   */
  prependReactor(verb: FakeVerb | '*', resource: string, fn: Reactor): void {
    this.reactors.unshift({ verb, resource, fn });
  }

  /** Appends a reactor after the existing ones but before the object tracker (client-go AddReactor). */
  addReactor(verb: FakeVerb | '*', resource: string, fn: Reactor): void {
    this.reactors.push({ verb, resource, fn });
  }

  /**
   * Stores objects as they are (status included), without recording actions; each gets the
   * server-set metadata it lacks (uid, creationTimestamp, generation, a new resourceVersion) and an
   * ADDED event for open watches. The resource is `resource` when given (e.g. "pods"), else
   * found from each object's apiVersion + kind.
   * Throws ClientConfigError for an unknown kind, ApiError 409 for a duplicate.
   */
  seed(objects: KubeObject[], resource?: string): void {
    const fixed = resource ? resolveResource(resource, undefined, this.extra) : undefined;
    for (const o of objects) {
      const info = fixed ?? resolveResource(o.kind ?? '', o.apiVersion, this.extra);
      this.doCreate(info, clone(o), { seed: true });
    }
  }

  /** The current object (deep copy) or undefined, without recording an action. */
  peek<T extends KubeObject = KubeObject>(
    resource: string,
    namespace: string | undefined,
    name: string,
  ): T | undefined {
    const info = resolveResource(resource, undefined, this.extra);
    return clone(
      this.store(info).get(objKey(info.namespaced ? namespace : undefined, name)) as T | undefined,
    );
  }

  /** All current objects of a resource (deep copies, sorted by namespace/name), without recording an action. */
  objects<T extends KubeObject = KubeObject>(resource: string): T[] {
    const info = resolveResource(resource, undefined, this.extra);
    return [...this.store(info).entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => clone(o) as T);
  }

  /** The cluster-wide resourceVersion of the last write, as a number. */
  get resourceVersion(): number {
    return this.rv;
  }

  /**
   * Drops watch history up to and including `rv` (default: everything so far), like etcd
   * compaction: a later watch from an older resourceVersion ends with 410 Expired.
   */
  compact(rv: number = this.rv): void {
    this.compactedRv = Math.max(this.compactedRv, rv);
    this.history = this.history.filter((e) => e.rv > this.compactedRv);
  }

  /**
   * Ends every open watch (of `resource`, or all) as a broken stream: onClose(err), default a
   * TransportError — what a reflector sees when the connection drops.
   */
  breakWatches(resource?: string, err: Error = new TransportError('watch stream closed by the fake')): void {
    const info = resource ? resolveResource(resource, undefined, this.extra) : undefined;
    for (const w of [...this.watchers]) {
      if (!info || w.resKey === resKeyOf(info)) w.stop(err);
    }
  }

  /** Number of open watches (of `resource`, or all). */
  watchCount(resource?: string): number {
    if (!resource) return this.watchers.size;
    const k = resKeyOf(resolveResource(resource, undefined, this.extra));
    return [...this.watchers].filter((w) => w.resKey === k).length;
  }

  resource<T extends KubeObject = KubeObject>(name: string, apiVersion?: string): ResourceClient<T> {
    const info = resolveResource(name, apiVersion, this.extra);
    const k = resKeyOf(info);
    let c = this.clients.get(k);
    if (!c) {
      c = new FakeResourceClient(this, info);
      this.clients.set(k, c);
    }
    return c as unknown as ResourceClient<T>;
  }

  async version(): Promise<Record<string, string>> {
    return {
      major: '1',
      minor: '32',
      gitVersion: 'v1.32.0-keelson-fake',
      platform: `${process.platform}/${process.arch}`,
    };
  }

  /** Ends all watches with onClose() (no error). */
  close(): void {
    for (const w of [...this.watchers]) w.stop();
  }

  // ---- internals used by FakeResourceClient ----

  /** @internal Records the action and runs reactors; returns the reactor's outcome, if any. */
  invoke(action: FakeAction): ReactorOutcome | undefined {
    this.actions.push(action);
    for (const r of this.reactors) {
      if (
        (r.verb === '*' || r.verb === action.verb) &&
        (r.resource === '*' || r.resource === action.resource)
      ) {
        const out = r.fn(action);
        if (out) return out;
      }
    }
    return undefined;
  }

  private store(info: ResourceInfo): Map<string, KubeObject> {
    const k = resKeyOf(info);
    let s = this.stores.get(k);
    if (!s) {
      s = new Map();
      this.stores.set(k, s);
    }
    return s;
  }

  private record(info: ResourceInfo, type: HistoryEntry['type'], object: KubeObject, old?: KubeObject): void {
    const e: HistoryEntry = {
      rv: this.rv,
      resKey: resKeyOf(info),
      type,
      object: clone(object),
      old: clone(old),
    };
    this.history.push(e);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.compactedRv = Math.max(this.compactedRv, dropped[dropped.length - 1]!.rv);
    }
    for (const w of this.watchers) w.offer(e);
  }

  private mustGet(info: ResourceInfo, namespace: string | undefined, name: string): KubeObject {
    const o = this.store(info).get(objKey(info.namespaced ? namespace : undefined, name));
    if (!o) throw newNotFound(info, name);
    return o;
  }

  /** @internal */
  doGet(info: ResourceInfo, namespace: string | undefined, name: string): KubeObject {
    return clone(this.mustGet(info, namespace, name));
  }

  /** @internal */
  doList(info: ResourceInfo, namespace: string | undefined, opts: ListOptions = {}): KubeList<KubeObject> {
    let startAfter = '';
    let listRv = String(this.rv);
    if (opts.continue) {
      try {
        const tok = JSON.parse(Buffer.from(opts.continue, 'base64url').toString('utf8')) as {
          rv: string;
          start: string;
        };
        startAfter = tok.start;
        listRv = tok.rv;
      } catch {
        throw newBadRequest('continue key is not valid');
      }
    }
    validateSelectors(opts.labelSelector, opts.fieldSelector, info.kind);
    const all = [...this.store(info).entries()]
      .filter(([, o]) => !info.namespaced || !namespace || o.metadata.namespace === namespace)
      .filter(([, o]) => matchesSelectors(o, opts.labelSelector, opts.fieldSelector, info.kind))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .filter(([k]) => k > startAfter);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : all.length;
    const page = all.slice(0, limit);
    const metadata: KubeList['metadata'] = { resourceVersion: listRv };
    if (page.length < all.length) {
      metadata.continue = Buffer.from(
        JSON.stringify({ rv: listRv, start: page[page.length - 1]![0] }),
      ).toString('base64url');
      metadata.remainingItemCount = all.length - page.length;
    }
    return {
      apiVersion: groupVersion(info),
      kind: `${info.kind}List`,
      metadata,
      items: page.map(([, o]) => clone(o)),
    };
  }

  /** @internal */
  doCreate(info: ResourceInfo, obj: KubeObject, o: { seed?: boolean; dryRun?: boolean } = {}): KubeObject {
    const meta = (obj.metadata ??= {});
    obj.apiVersion ??= groupVersion(info);
    obj.kind ??= info.kind;
    if (info.namespaced) meta.namespace ||= 'default';
    else delete meta.namespace;
    const s = this.store(info);
    if (!meta.name && meta.generateName) {
      do {
        let suffix = '';
        for (let i = 0; i < 5; i++) suffix += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
        meta.name = meta.generateName + suffix;
      } while (s.has(objKey(meta.namespace, meta.name)));
    }
    if (!meta.name) {
      throw newInvalid(info, '', [
        {
          reason: 'FieldValueRequired',
          field: 'metadata.name',
          message: 'Required value: name or generateName is required',
        },
      ]);
    }
    const key = objKey(meta.namespace, meta.name);
    if (s.has(key)) throw newAlreadyExists(info, meta.name);
    if (o.seed) {
      meta.uid ??= randomUUID();
      meta.creationTimestamp ??= rfc3339(this.now());
      meta.generation ??= 1;
    } else {
      if (meta.resourceVersion)
        throw newBadRequest('resourceVersion should not be set on objects to be created');
      meta.uid = randomUUID();
      meta.creationTimestamp = rfc3339(this.now());
      meta.generation = 1;
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
      // A kind with a status subresource starts with an empty status (nodes keep theirs).
      if (info.subresources.includes('status') && !(info.group === '' && info.resource === 'nodes')) {
        delete (obj as { status?: unknown }).status;
      }
      if (info.group === '' && info.resource === 'pods')
        (obj as { status?: unknown }).status = { phase: 'Pending' };
    }
    if (o.dryRun) return clone(obj);
    this.rv++;
    meta.resourceVersion = String(this.rv);
    s.set(key, clone(obj));
    this.record(info, 'ADDED', obj);
    return clone(obj);
  }

  /**
   * @internal Replaces an object. `part` "main" keeps status (when the resource has a status
   * subresource), "status" takes only status from `obj`.
   */
  doUpdate(
    info: ResourceInfo,
    obj: KubeObject,
    part: 'main' | 'status',
    o: { dryRun?: boolean } = {},
  ): KubeObject {
    const name = obj.metadata?.name ?? '';
    if (!name)
      throw newInvalid(info, '', [
        { reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name is required' },
      ]);
    const namespace = info.namespaced ? obj.metadata.namespace || 'default' : undefined;
    const existing = this.mustGet(info, namespace, name);
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== existing.metadata.resourceVersion) {
      throw newConflict(info, name, OPTIMISTIC_LOCK_MESSAGE);
    }
    if (obj.metadata.uid && obj.metadata.uid !== existing.metadata.uid) {
      throw newConflict(
        info,
        name,
        `Precondition failed: UID in precondition: ${obj.metadata.uid}, UID in object meta: ${existing.metadata.uid}`,
      );
    }
    let next: KubeObject;
    const hasStatus = info.subresources.includes('status');
    if (part === 'status') {
      next = clone(existing);
      const st = (obj as { status?: unknown }).status;
      if (st === undefined) delete (next as { status?: unknown }).status;
      else (next as { status?: unknown }).status = clone(st);
    } else {
      next = clone(obj);
      next.apiVersion ??= existing.apiVersion;
      next.kind ??= existing.kind;
      if (hasStatus) {
        const st = (existing as { status?: unknown }).status;
        if (st === undefined) delete (next as { status?: unknown }).status;
        else (next as { status?: unknown }).status = clone(st);
      }
      const m = next.metadata;
      const em = existing.metadata;
      m.namespace = em.namespace;
      if (!info.namespaced) delete m.namespace;
      m.uid = em.uid;
      m.creationTimestamp = em.creationTimestamp;
      m.generation = em.generation;
      if (em.deletionTimestamp) m.deletionTimestamp = em.deletionTimestamp;
      else delete m.deletionTimestamp;
      if (em.deletionGracePeriodSeconds !== undefined)
        m.deletionGracePeriodSeconds = em.deletionGracePeriodSeconds;
      else delete m.deletionGracePeriodSeconds;
      if (withoutMetaStatus(next) !== withoutMetaStatus(existing)) m.generation = (em.generation ?? 0) + 1;
    }
    next.metadata.resourceVersion = existing.metadata.resourceVersion;
    if (JSON.stringify(next) === JSON.stringify(existing)) return clone(existing);
    if (o.dryRun) return clone(next);
    return this.commitUpdate(info, existing, next);
  }

  private commitUpdate(info: ResourceInfo, existing: KubeObject, next: KubeObject): KubeObject {
    const s = this.store(info);
    const key = objKey(existing.metadata.namespace, existing.metadata.name!);
    this.rv++;
    next.metadata.resourceVersion = String(this.rv);
    if (
      next.metadata.deletionTimestamp &&
      !next.metadata.finalizers?.length &&
      !this.gracefulPending(info, next)
    ) {
      s.delete(key);
      this.record(info, 'DELETED', next, existing);
      return clone(next);
    }
    s.set(key, clone(next));
    this.record(info, 'MODIFIED', next, existing);
    return clone(next);
  }

  /** A pod waiting for its kubelet to finish a graceful deletion (deletionGracePeriodSeconds > 0). */
  private gracefulPending(info: ResourceInfo, o: KubeObject): boolean {
    return info.group === '' && info.resource === 'pods' && (o.metadata.deletionGracePeriodSeconds ?? 0) > 0;
  }

  /** @internal */
  doDelete(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    opts: DeleteOptions = {},
  ): KubeObject | Status {
    const existing = this.mustGet(info, namespace, name);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== existing.metadata.uid) {
      throw newConflict(
        info,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.metadata.uid}`,
      );
    }
    if (pre?.resourceVersion && pre.resourceVersion !== existing.metadata.resourceVersion) {
      throw newConflict(
        info,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion}`,
      );
    }
    if (opts.dryRun?.length) return clone(existing);
    const now = this.now();
    // propagationPolicy Orphan/Foreground park the object behind the garbage collector's finalizers.
    let base = existing;
    const policy =
      opts.propagationPolicy ??
      (opts.orphanDependents === true
        ? 'Orphan'
        : opts.orphanDependents === false
          ? 'Background'
          : undefined);
    if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
      throw newBadRequest(
        `propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`,
      );
    }
    if (policy && this.gcFinalizers) {
      const fins = new Set(existing.metadata.finalizers ?? []);
      if (policy === 'Orphan') {
        fins.add('orphan');
        fins.delete('foregroundDeletion');
      } else if (policy === 'Foreground') {
        fins.add('foregroundDeletion');
        fins.delete('orphan');
      } else {
        fins.delete('orphan');
        fins.delete('foregroundDeletion');
      }
      if (JSON.stringify([...fins]) !== JSON.stringify(existing.metadata.finalizers ?? [])) {
        base = clone(existing);
        if (fins.size) base.metadata.finalizers = [...fins];
        else delete base.metadata.finalizers;
      }
    }
    // Graceful pod deletion (pod registry's CheckGracefulDelete): bound, not terminated pods.
    if (info.group === '' && info.resource === 'pods') {
      const pod = existing as KubeObject & {
        spec?: { nodeName?: string; terminationGracePeriodSeconds?: number };
        status?: { phase?: string };
      };
      const phase = pod.status?.phase;
      let grace = opts.gracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      if (!pod.spec?.nodeName || phase === 'Succeeded' || phase === 'Failed') grace = 0;
      const current = existing.metadata.deletionGracePeriodSeconds;
      if (grace > 0 && (current === undefined || grace < current || !existing.metadata.deletionTimestamp)) {
        const next = clone(base);
        next.metadata.deletionTimestamp = rfc3339(now + grace * 1000);
        next.metadata.deletionGracePeriodSeconds = grace;
        return this.commitUpdate(info, existing, next);
      }
      if (grace > 0) return clone(existing);
    }
    if (base.metadata.finalizers?.length) {
      if (
        base === existing &&
        existing.metadata.deletionTimestamp &&
        existing.metadata.deletionGracePeriodSeconds === 0
      )
        return clone(existing);
      const next = clone(base);
      next.metadata.deletionTimestamp ??= rfc3339(now);
      next.metadata.deletionGracePeriodSeconds ??= 0;
      return this.commitUpdate(info, existing, next);
    }
    this.rv++;
    const gone = clone(existing);
    gone.metadata.resourceVersion = String(this.rv);
    this.store(info).delete(objKey(existing.metadata.namespace, name));
    this.record(info, 'DELETED', gone);
    // pods, services and namespaces answer the deleted object, the rest a Status (as upstream).
    if (info.group === '' && ['pods', 'services', 'namespaces'].includes(info.resource)) return clone(gone);
    return {
      apiVersion: 'v1',
      kind: 'Status',
      metadata: {},
      status: 'Success',
      details: { name, group: info.group || undefined, kind: info.resource, uid: existing.metadata.uid },
    };
  }

  /** @internal */
  doPatch(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    subresource: string | undefined,
    o: { dryRun?: boolean } = {},
  ): KubeObject {
    const ns = info.namespaced ? namespace || 'default' : undefined;
    const existing = this.store(info).get(objKey(ns, name));
    if (!existing) {
      if (type === 'apply' && !subresource) {
        const created = applyPatchOfType({ metadata: {} } as KubeObject, 'merge', patch);
        created.metadata = { ...created.metadata, name, namespace: ns };
        return this.doCreate(info, created, o);
      }
      throw newNotFound(info, name);
    }
    if (subresource === 'scale') {
      const scale = applyPatchOfType(this.scaleOf(info, existing), type, patch);
      return this.doUpdateScale(info, existing, scale, o) as unknown as KubeObject;
    }
    if (subresource && subresource !== 'status')
      throw newBadRequest(`patch of subresource ${JSON.stringify(subresource)} is not supported`);
    const patched = applyPatchOfType(existing, type, patch);
    if (
      patched.metadata?.resourceVersion !== existing.metadata.resourceVersion &&
      patched.metadata?.resourceVersion
    ) {
      throw newConflict(info, name, OPTIMISTIC_LOCK_MESSAGE);
    }
    patched.metadata = {
      ...patched.metadata,
      name,
      namespace: existing.metadata.namespace,
      resourceVersion: existing.metadata.resourceVersion,
    };
    if (!info.namespaced) delete patched.metadata.namespace;
    return this.doUpdate(info, patched, subresource === 'status' ? 'status' : 'main', o);
  }

  private scaleOf(info: ResourceInfo, o: KubeObject): KubeObject {
    if (!info.subresources.includes('scale')) throw newNotFound(info, `${o.metadata.name}/scale`);
    const spec =
      (o as { spec?: { replicas?: number; selector?: { matchLabels?: Record<string, string> } } }).spec ?? {};
    const status = (o as { status?: { replicas?: number } }).status ?? {};
    const selector = Object.entries(spec.selector?.matchLabels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    return {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: {
        name: o.metadata.name,
        namespace: o.metadata.namespace,
        uid: o.metadata.uid,
        resourceVersion: o.metadata.resourceVersion,
        creationTimestamp: o.metadata.creationTimestamp,
      },
      spec: { replicas: spec.replicas ?? 1 },
      status: { replicas: status.replicas ?? 0, selector },
    } as KubeObject;
  }

  private doUpdateScale(
    info: ResourceInfo,
    existing: KubeObject,
    scale: KubeObject,
    o: { dryRun?: boolean } = {},
  ): KubeObject {
    if (
      scale.metadata?.resourceVersion &&
      scale.metadata.resourceVersion !== existing.metadata.resourceVersion
    ) {
      throw newConflict(info, existing.metadata.name!, OPTIMISTIC_LOCK_MESSAGE);
    }
    const replicas = (scale as { spec?: { replicas?: number } }).spec?.replicas;
    if (typeof replicas !== 'number' || replicas < 0 || !Number.isInteger(replicas)) {
      throw newInvalid({ group: 'autoscaling', kind: 'Scale' }, existing.metadata.name!, [
        {
          reason: 'FieldValueInvalid',
          field: 'spec.replicas',
          message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
        },
      ]);
    }
    const next = clone(existing);
    specOf(next).replicas = replicas;
    next.metadata.resourceVersion = existing.metadata.resourceVersion;
    const updated = this.doUpdate(info, next, 'main', o);
    return this.scaleOf(info, updated);
  }

  /** @internal */
  doGetSubresource(info: ResourceInfo, namespace: string | undefined, name: string, sub: string): unknown {
    const o = this.mustGet(info, namespace, name);
    if (sub === 'status') return clone(o);
    if (sub === 'scale') return this.scaleOf(info, o);
    throw newBadRequest(`get of subresource ${JSON.stringify(sub)} is not supported by the fake`);
  }

  /** @internal */
  doCreateSubresource(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    sub: string,
    body: unknown,
  ): unknown {
    const existing = this.mustGet(info, namespace, name);
    if (info.group === '' && info.resource === 'pods' && sub === 'binding') {
      const target = (body as { target?: { name?: string } })?.target?.name;
      if (!target)
        throw newInvalid({ group: '', kind: 'Binding' }, name, [
          { reason: 'FieldValueRequired', field: 'target.name', message: 'Required value' },
        ]);
      const pod = existing as KubeObject & {
        spec?: { nodeName?: string };
        status?: { conditions?: Array<Record<string, unknown>> };
      };
      if (existing.metadata.deletionTimestamp)
        throw newConflict(info, name, 'pod is being deleted, cannot be assigned to a host');
      if (pod.spec?.nodeName)
        throw newConflict(info, name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
      const next = clone(pod);
      specOf(next).nodeName = target;
      const annotations = (body as { metadata?: { annotations?: Record<string, string> } }).metadata
        ?.annotations;
      if (annotations) next.metadata.annotations = { ...next.metadata.annotations, ...annotations };
      const status = ((next as { status?: { conditions?: Array<Record<string, unknown>> } }).status ??= {});
      const conds = (status.conditions ??= []);
      const ts = rfc3339(this.now());
      const c = conds.find((x) => x.type === 'PodScheduled');
      if (c) {
        if (c.status !== 'True') c.lastTransitionTime = ts;
        c.status = 'True';
        delete c.reason;
        delete c.message;
      } else
        conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: ts });
      this.commitUpdate(info, existing, next);
      return { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', code: 201 };
    }
    if (info.group === '' && info.resource === 'pods' && sub === 'eviction') {
      this.doDelete(info, namespace, name, (body as { deleteOptions?: DeleteOptions })?.deleteOptions ?? {});
      return { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', code: 201 };
    }
    throw newBadRequest(`create of subresource ${JSON.stringify(sub)} is not supported by the fake`);
  }

  /** @internal */
  doUpdateSubresource(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    sub: string,
    body: unknown,
  ): unknown {
    if (sub === 'status') {
      const obj = clone(body) as KubeObject;
      obj.metadata = { ...obj.metadata, name, namespace };
      return this.doUpdate(info, obj, 'status');
    }
    if (sub === 'scale')
      return this.doUpdateScale(info, this.mustGet(info, namespace, name), clone(body) as KubeObject);
    throw newBadRequest(`update of subresource ${JSON.stringify(sub)} is not supported by the fake`);
  }

  /** @internal */
  doWatch(
    info: ResourceInfo,
    namespace: string | undefined,
    opts: ListOptions,
    handlers: WatchHandlers<KubeObject>,
    injected?: ReactorOutcome,
  ): WatchHandle {
    const w = new FakeWatcher(
      resKeyOf(info),
      info,
      info.namespaced ? namespace || undefined : undefined,
      opts,
      handlers,
      (x) => this.watchers.delete(x),
    );
    this.watchers.add(w);
    if (injected) {
      if ('error' in injected) w.stop(injected.error);
      return { stop: () => w.stop() };
    }
    try {
      // validate selectors up front: a bad one fails the watch
      validateSelectors(opts.labelSelector, opts.fieldSelector, info.kind);
    } catch (e) {
      w.stop(e as Error);
      return { stop: () => w.stop() };
    }
    const rvText = opts.resourceVersion;
    if (!rvText || rvText === '0') {
      for (const o of this.doList(info, namespace, {
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
      }).items) {
        w.push({ type: 'ADDED', object: o });
      }
    } else {
      const from = Number(rvText);
      if (!Number.isInteger(from) || from < 0) {
        w.stop(newBadRequest(`invalid resource version ${JSON.stringify(rvText)}`));
      } else if (from < this.compactedRv) {
        w.stop(newGone(`too old resource version: ${from} (${this.compactedRv + 1})`));
      } else {
        for (const e of this.history) if (e.rv > from) w.offer(e);
      }
    }
    return { stop: () => w.stop() };
  }
}

class FakeResourceClient implements ResourceClient<KubeObject> {
  constructor(
    private readonly cs: FakeClientset,
    readonly info: ResourceInfo,
  ) {}

  private ns(namespace: string | undefined): string | undefined {
    return this.info.namespaced && namespace ? namespace : undefined;
  }

  private run<R>(action: Omit<FakeAction, 'resource' | 'group'>, fn: () => R): Promise<R> {
    const full: FakeAction = { resource: this.info.resource, group: this.info.group, ...action };
    for (const k of Object.keys(full) as Array<keyof FakeAction>) if (full[k] === undefined) delete full[k];
    try {
      const out = this.cs.invoke(full);
      if (out) return 'error' in out ? Promise.reject(out.error) : Promise.resolve(out.result as R);
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(e);
    }
  }

  get(namespace: string | undefined, name: string): Promise<KubeObject> {
    return this.run({ verb: 'get', namespace: this.ns(namespace), name }, () =>
      this.cs.doGet(this.info, namespace, name),
    );
  }

  list(namespace?: string, opts: ListOptions = {}): Promise<KubeList<KubeObject>> {
    return this.run({ verb: 'list', namespace: this.ns(namespace), listOptions: clone(opts) }, () =>
      this.cs.doList(this.info, this.ns(namespace), opts),
    );
  }

  create(obj: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const ns = this.info.namespaced ? obj.metadata?.namespace || 'default' : undefined;
    return this.run(
      { verb: 'create', namespace: ns, name: obj.metadata?.name || undefined, object: clone(obj) },
      () => this.cs.doCreate(this.info, clone(obj), { dryRun: opts.dryRun }),
    );
  }

  update(obj: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const ns = this.info.namespaced ? obj.metadata?.namespace || 'default' : undefined;
    return this.run({ verb: 'update', namespace: ns, name: obj.metadata?.name, object: clone(obj) }, () =>
      this.cs.doUpdate(this.info, clone(obj), 'main', { dryRun: opts.dryRun }),
    );
  }

  updateStatus(obj: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const ns = this.info.namespaced ? obj.metadata?.namespace || 'default' : undefined;
    return this.run(
      { verb: 'update', namespace: ns, name: obj.metadata?.name, subresource: 'status', object: clone(obj) },
      () => this.cs.doUpdate(this.info, clone(obj), 'status', { dryRun: opts.dryRun }),
    );
  }

  patch(
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    opts: WriteOptions & { subresource?: string; force?: boolean } = {},
  ): Promise<KubeObject> {
    return this.run(
      {
        verb: 'patch',
        namespace: this.ns(namespace),
        name,
        subresource: opts.subresource,
        patch: clone(patch),
        patchType: type,
      },
      () =>
        this.cs.doPatch(this.info, namespace, name, type, patch, opts.subresource, { dryRun: opts.dryRun }),
    );
  }

  delete(
    namespace: string | undefined,
    name: string,
    opts: DeleteOptions = {},
  ): Promise<KubeObject | Status> {
    return this.run({ verb: 'delete', namespace: this.ns(namespace), name, deleteOptions: clone(opts) }, () =>
      this.cs.doDelete(this.info, namespace, name, opts),
    );
  }

  deleteCollection(
    namespace: string | undefined,
    listOpts: ListOptions = {},
    opts: DeleteOptions = {},
  ): Promise<KubeList<KubeObject>> {
    return this.run(
      {
        verb: 'deletecollection',
        namespace: this.ns(namespace),
        listOptions: clone(listOpts),
        deleteOptions: clone(opts),
      },
      () => {
        const list = this.cs.doList(this.info, this.ns(namespace), {
          labelSelector: listOpts.labelSelector,
          fieldSelector: listOpts.fieldSelector,
        });
        for (const o of list.items) {
          try {
            this.cs.doDelete(this.info, o.metadata.namespace, o.metadata.name!, opts);
          } catch (e) {
            if (!(e instanceof ApiError && e.code === 404)) throw e;
          }
        }
        return list;
      },
    );
  }

  watch(namespace: string | undefined, opts: ListOptions, handlers: WatchHandlers<KubeObject>): WatchHandle {
    const action: FakeAction = {
      verb: 'watch',
      resource: this.info.resource,
      group: this.info.group,
      namespace: this.ns(namespace),
      listOptions: clone(opts),
    };
    for (const k of Object.keys(action) as Array<keyof FakeAction>)
      if (action[k] === undefined) delete action[k];
    const out = this.cs.invoke(action);
    return this.cs.doWatch(this.info, this.ns(namespace), opts, handlers, out);
  }

  getSubresource<R = unknown>(namespace: string | undefined, name: string, subresource: string): Promise<R> {
    return this.run(
      { verb: 'get', namespace: this.ns(namespace), name, subresource },
      () => this.cs.doGetSubresource(this.info, namespace, name, subresource) as R,
    );
  }

  createSubresource<R = unknown>(
    namespace: string | undefined,
    name: string,
    subresource: string,
    body: unknown,
  ): Promise<R> {
    return this.run(
      { verb: 'create', namespace: this.ns(namespace), name, subresource, object: clone(body) },
      () => this.cs.doCreateSubresource(this.info, namespace, name, subresource, clone(body)) as R,
    );
  }

  updateSubresource<R = unknown>(
    namespace: string | undefined,
    name: string,
    subresource: string,
    body: unknown,
  ): Promise<R> {
    return this.run(
      { verb: 'update', namespace: this.ns(namespace), name, subresource, object: clone(body) },
      () => this.cs.doUpdateSubresource(this.info, namespace, name, subresource, body) as R,
    );
  }
}
