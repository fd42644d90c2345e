/**
 * The Kubernetes REST/JSON API on node:http, as kubectl and client libraries use it: version,
 * health, discovery (plain and aggregated), OpenAPI, CRUD/list/watch on
 * `/api/v1/...` and `/apis/<g>/<v>/...` (namespaced and cluster-scoped, legacy `/watch/` paths),
 * Table output (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), chunked JSON watch
 * streams, the three patch types plus apply, subresources, and the kubelet proxy for
 * log/exec/attach/portforward. Every error is a `Status` with its HTTP code.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { stringify as toYaml } from 'yaml';
import { resourceForPath, type DeleteOptions, type KubeObject } from '@keelson/api';
import { ApiHandler, resourceNotFound, type ResourceRef } from '../api-handler';
import { ApiError, badRequest, failure, methodNotAllowed, notAcceptable, toApiError } from '../errors';
import {
  AGGREGATED_DISCOVERY_TYPE,
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  versionInfo,
} from './discovery';
import { openApiV2, openApiV3ForPath, openApiV3Index } from './openapi';
import { proxyLogs, proxyUpgrade } from './proxy';
import {
  decodeBody,
  listOptions,
  MAX_BODY_BYTES,
  mediaType,
  readBody,
  sendError,
  sendJson,
  warningHeader,
  writeOptions,
} from './request';
import { toJson } from '../serialize';
import { isAnonymousPath, isLocalConnection, type TokenAuthenticator } from '../authn';
import { tableRow, toTable, columnDefinitions, type IncludeObject } from './table-printers';
import type { ApiServerMetrics, RequestLabels } from './metrics';
import { COMPONENT_STATUS_WARNING } from '../component-statuses';

/** Options of the REST handler. */
export interface RestOptions {
  handler: ApiHandler;
  /** "host:port" the server advertises in /api. */
  serverAddress: () => string;
  /** Body limit in bytes (default 3 MiB). */
  maxBodyBytes?: number;
  /** True once storage and the watch cache are ready (/readyz). */
  ready: () => boolean;
  /**
   * Requests (other than watches and kubelet proxies) served at once before new ones get
   * 429 TooManyRequests with Retry-After: 1 (upstream --max-requests-inflight). Default 1000; 0 = no limit.
   */
  maxRequestsInflight?: number;
  /** Called for every request (method, path, code, ms) — logging hook. */
  onRequest?: (method: string, path: string, code: number, ms: number) => void;
  /** Request metrics, served at `/metrics`; without them `/metrics` is 404. */
  metrics?: ApiServerMetrics;
  /** Bearer-token authentication (`--token-auth-file`); requests but health/version without a valid token get 401. */
  authenticator?: TokenAuthenticator;
  /**
   * With an authenticator: REST requests from this host itself (loopback, or a connection whose
   * source is the address it reached) need no token. kubectl never sends a bearer token over plain
   * HTTP (kubernetes/kubectl#744), so the host's own kubectl is let in as upstream's former
   * localhost insecure port did; every other client must authenticate.
   */
  anonymousLocal?: boolean;
}

/** The metric labels of a request (upstream's verb and scope names); non-resource paths get the HTTP method. */
export function requestLabels(req: IncomingMessage): RequestLabels {
  const method = (req.method ?? 'GET').toUpperCase();
  const url = new URL(req.url ?? '/', 'http://localhost');
  let parsed: ParsedPath | undefined;
  try {
    parsed = parseResourcePath(url.pathname);
  } catch {
    parsed = undefined;
  }
  // unknown resources count as non-resource requests (no label value taken from arbitrary URLs)
  const info = parsed && resourceForPath(parsed.ref.group, parsed.ref.version, parsed.ref.resource);
  if (!parsed || !info || (parsed.ref.subresource && !info.subresources.includes(parsed.ref.subresource)))
    return { verb: method, group: '', version: '', resource: '', subresource: '', scope: '' };
  const { ref, watchPath } = parsed;
  const q = url.searchParams;
  let verb = method;
  if (method === 'GET') {
    if (watchPath || q.get('watch') === 'true' || q.get('watch') === '1') verb = 'WATCH';
    else verb = ref.name ? 'GET' : 'LIST';
  } else if (method === 'PATCH' && /apply-patch/.test(String(req.headers['content-type'] ?? '')))
    verb = 'APPLY';
  else if (method === 'DELETE' && !ref.name) verb = 'DELETECOLLECTION';
  if (['exec', 'attach', 'portforward', 'proxy'].includes(ref.subresource ?? '')) verb = 'CONNECT';
  return {
    verb,
    group: ref.group,
    version: ref.version,
    resource: ref.resource,
    subresource: ref.subresource ?? '',
    scope: ref.name ? 'resource' : ref.namespace ? 'namespace' : 'cluster',
  };
}

/** Bytes a watch may queue for a slow client before the server ends the watch. */
export const MAX_WATCH_BUFFER_BYTES = 32 * 1024 * 1024;

interface ParsedPath {
  ref: ResourceRef;
  watchPath: boolean;
}

/** Parses a resource path (after /api or /apis). Returns undefined for non-resource paths; throws 400 on bad escapes. */
export function parseResourcePath(pathname: string): ParsedPath | undefined {
  let segs: string[];
  try {
    segs = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    throw badRequest(`malformed URL path "${pathname}"`);
  }
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 3) {
    group = '';
    version = segs[1];
    rest = segs.slice(2);
  } else if (segs[0] === 'apis' && segs.length >= 4) {
    group = segs[1];
    version = segs[2];
    rest = segs.slice(3);
  } else return undefined;
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (
    rest[0] === 'namespaces' &&
    rest.length >= 3 &&
    !(rest.length === 3 && ['status', 'finalize'].includes(rest[2]))
  ) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (!rest.length || rest.length > 3) return undefined;
  const [resource, name, subresource] = rest;
  return { ref: { group, version, resource, namespace, name, subresource }, watchPath };
}

function accepts(req: IncomingMessage): string {
  return String(req.headers.accept ?? '');
}

function wantsTable(req: IncomingMessage): boolean {
  const a = accepts(req);
  return /as=Table/.test(a) && /g=meta\.k8s\.io/.test(a);
}

function wantsPartialMetadata(req: IncomingMessage): boolean {
  const a = accepts(req);
  return /as=PartialObjectMetadata(List)?/.test(a) && /g=meta\.k8s\.io/.test(a) && !/as=Table/.test(a);
}

/** metav1.PartialObjectMetadata(List) of an object or list (metadata-only clients, e.g. client-go metadata informers). */
function toPartialMetadata(body: KubeObject | (KubeObject & { items?: KubeObject[] })): object {
  const one = (o: KubeObject) => ({
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: o.metadata,
  });
  if (Array.isArray((body as { items?: KubeObject[] }).items))
    return {
      kind: 'PartialObjectMetadataList',
      apiVersion: 'meta.k8s.io/v1',
      metadata: body.metadata,
      items: (body as { items: KubeObject[] }).items.map(one),
    };
  return one(body);
}

function wantsYaml(req: IncomingMessage): boolean {
  const a = accepts(req).split(',')[0].trim();
  return a.startsWith('application/yaml');
}

function onlyProtobuf(req: IncomingMessage): boolean {
  const a = accepts(req);
  if (!a) return false;
  return a
    .split(',')
    .every((x) => x.trim().startsWith('application/vnd.kubernetes.protobuf') || x.includes('proto-openapi'));
}

function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  if (v === null || v === '') return 'Metadata';
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
  throw badRequest(
    `includeObject: Unsupported value: "${v}": supported values: "None", "Metadata", "Object"`,
  );
}

/** Creates the request listener and the upgrade listener of the REST server. */
export function createRestHandler(opts: RestOptions): {
  request: (req: IncomingMessage, res: ServerResponse) => void;
  upgrade: (req: IncomingMessage, socket: Socket, head: Buffer) => void;
} {
  const h = opts.handler;
  const limit = opts.maxBodyBytes ?? MAX_BODY_BYTES;

  const respond = (
    req: IncomingMessage,
    res: ServerResponse,
    code: number,
    body: unknown,
    resource: string,
    q: URLSearchParams,
    warnings: string[] = [],
  ) => {
    const headers: Record<string, string | string[]> = {};
    if (warnings.length) headers.Warning = warningHeader(warnings);
    let out = body;
    let type = 'application/json';
    if (wantsTable(req) && body && typeof body === 'object' && (body as KubeObject).kind !== 'Status') {
      out = toTable(resource, body as KubeObject, includeObject(q));
      type = 'application/json;as=Table;v=v1;g=meta.k8s.io';
    } else if (
      wantsPartialMetadata(req) &&
      body &&
      typeof body === 'object' &&
      (body as KubeObject).kind !== 'Status'
    ) {
      const list = Array.isArray((body as { items?: unknown }).items);
      out = toPartialMetadata(body as KubeObject);
      type = `application/json;as=${list ? 'PartialObjectMetadataList' : 'PartialObjectMetadata'};v=v1;g=meta.k8s.io`;
    }
    if (wantsYaml(req)) {
      const text = toYaml(out);
      res.writeHead(code, {
        ...headers,
        'Content-Type': 'application/yaml',
        'Content-Length': Buffer.byteLength(text),
      });
      res.end(text);
      return;
    }
    const data = toJson(out);
    res.writeHead(code, { ...headers, 'Content-Type': type, 'Content-Length': Buffer.byteLength(data) });
    res.end(data);
  };

  async function handleWatch(
    req: IncomingMessage,
    res: ServerResponse,
    ref: ResourceRef,
    q: URLSearchParams,
  ): Promise<void> {
    const lo = listOptions(q);
    const table = wantsTable(req);
    const include = table ? includeObject(q) : 'Object';
    let first = true;
    const watch: { stop?: () => void } = {};
    let ended = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      if (ended) return;
      ended = true;
      watch.stop?.();
      if (timer) clearTimeout(timer);
      res.end();
    };
    const startStream = () => {
      if (res.headersSent) return;
      res.writeHead(200, {
        'Content-Type': table ? 'application/json;as=Table;v=v1;g=meta.k8s.io' : 'application/json',
        'Transfer-Encoding': 'chunked',
        'Cache-Control': 'no-cache, private',
      });
      res.flushHeaders();
    };
    const info = h.resolve(ref);
    const sink = {
      event: (type: string, obj: KubeObject, json?: string) => {
        if (ended) return;
        startStream();
        let line: string;
        if (table && type !== 'BOOKMARK') {
          const t = {
            kind: 'Table',
            apiVersion: 'meta.k8s.io/v1',
            metadata: { resourceVersion: obj.metadata.resourceVersion },
            columnDefinitions: first ? columnDefinitions(info.resource) : [],
            rows: [tableRow(info.resource, obj, include)],
          };
          first = false;
          line = `{"type":"${type}","object":${JSON.stringify(t)}}\n`;
        } else line = `{"type":"${type}","object":${json ?? JSON.stringify(obj)}}\n`;
        res.write(line);
        // a client that stops reading is cut off (it re-watches from its last resourceVersion)
        if (res.writableLength > MAX_WATCH_BUFFER_BYTES) finish();
      },
      end: (err?: Error) => {
        if (err && !ended) {
          startStream();
          const st = err instanceof ApiError ? err.status : failure(500, 'InternalError', err.message);
          res.write(`{"type":"ERROR","object":${JSON.stringify(st)}}\n`);
        }
        finish();
      },
    };
    req.on('close', finish);
    res.on('close', finish);
    watch.stop = await h.watch(ref, lo, sink);
    if (ended) watch.stop();
    startStream();
    if (lo.timeoutSeconds && lo.timeoutSeconds > 0) timer = setTimeout(finish, lo.timeoutSeconds * 1000);
  }

  async function handleResource(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    parsed: ParsedPath,
  ): Promise<void> {
    const { ref } = parsed;
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    const info = h.resolve(ref);
    if (!info.group && info.resource === 'componentstatuses')
      res.setHeader('Warning', warningHeader([COMPONENT_STATUS_WARNING]));
    const sub = ref.subresource ?? '';
    if (sub === 'log' && method === 'GET') {
      if (!ref.name || !ref.namespace) throw resourceNotFound();
      await proxyLogs(h.registry, ref.namespace, ref.name, q, req, res);
      return;
    }
    if (['exec', 'attach', 'portforward'].includes(sub))
      throw new ApiError(failure(400, 'BadRequest', `Upgrade request required`));
    if (method === 'GET') {
      const isWatch = parsed.watchPath || q.get('watch') === 'true' || q.get('watch') === '1';
      if (isWatch) return handleWatch(req, res, ref, q);
      if (ref.name && !sub) {
        const obj = await h.get(ref, q.get('resourceVersion') ?? undefined);
        return respond(req, res, 200, obj, info.resource, q);
      }
      if (ref.name) return respond(req, res, 200, await h.get(ref), info.resource, q);
      const list = await h.list(ref, listOptions(q));
      return respond(req, res, 200, list, info.resource, q);
    }
    if (method === 'POST') {
      const wo = writeOptions(q);
      const body = decodeBody(await readBody(req, limit), mediaType(req));
      const r = await h.create(ref, body, wo);
      return respond(req, res, r.code, r.object, info.resource, q, r.warnings);
    }
    if (method === 'PUT') {
      const wo = writeOptions(q);
      const body = decodeBody(await readBody(req, limit), mediaType(req));
      const r = await h.update(ref, body, wo);
      return respond(req, res, r.code, r.object, info.resource, q, r.warnings);
    }
    if (method === 'PATCH') {
      const wo = writeOptions(q);
      const type = mediaType(req);
      const raw = await readBody(req, limit);
      if (!raw.length) throw badRequest('the body of the request was empty');
      const r = await h.patch(ref, type, raw, wo);
      return respond(req, res, r.code, r.object, info.resource, q, r.warnings);
    }
    if (method === 'DELETE') {
      const raw = await readBody(req, limit);
      let opts: DeleteOptions = {};
      if (raw.length && raw.toString().trim()) {
        const b = decodeBody(raw, mediaType(req));
        if (b !== null && (typeof b !== 'object' || Array.isArray(b)))
          throw badRequest('DeleteOptions must be a JSON object');
        opts = (b ?? {}) as DeleteOptions;
      }
      const gp = q.get('gracePeriodSeconds');
      if (gp !== null) {
        if (!/^-?\d+$/.test(gp))
          throw badRequest(`gracePeriodSeconds: Invalid value: "${gp}": must be an integer`);
        opts.gracePeriodSeconds = Number(gp);
      }
      if (q.get('propagationPolicy')) opts.propagationPolicy = q.get('propagationPolicy')!;
      if (q.get('orphanDependents')) opts.orphanDependents = q.get('orphanDependents') === 'true';
      if (q.getAll('dryRun').length) opts.dryRun = q.getAll('dryRun');
      if (!ref.name) {
        const list = await h.deleteCollection(ref, listOptions(q), opts);
        return respond(req, res, 200, list, info.resource, q);
      }
      const r = await h.delete(ref, opts);
      return respond(req, res, r.code, r.object, info.resource, q);
    }
    throw methodNotAllowed();
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const p = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    if (p === '/version' || p === '/version/') return sendJson(res, 200, versionInfo());
    if (/^\/(healthz|livez|readyz)(\/.*)?$/.test(p)) {
      const ok = !p.startsWith('/readyz') || opts.ready();
      res.writeHead(ok ? 200 : 500, {
        'Content-Type': 'text/plain; charset=utf-8',
        'X-Content-Type-Options': 'nosniff',
      });
      res.end(ok ? 'ok' : '[-]storage not ready\nreadyz check failed');
      return;
    }
    if (method === 'GET' && p === '/metrics' && opts.metrics) {
      const registry = opts.metrics.registry;
      const text = await registry.metrics();
      res.writeHead(200, { 'Content-Type': registry.contentType, 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    if (method === 'GET' && (p === '/api' || p === '/apis')) {
      if (/as=APIGroupDiscoveryList/.test(accepts(req)) && /v=v2(;|,|$)/.test(accepts(req)))
        return sendJson(
          res,
          200,
          aggregatedDiscovery(p === '/api'),
          { Vary: 'Accept' },
          AGGREGATED_DISCOVERY_TYPE,
        );
      return sendJson(res, 200, p === '/api' ? apiVersions(opts.serverAddress()) : apiGroupList(), {
        Vary: 'Accept',
      });
    }
    if (method === 'GET') {
      let m: RegExpExecArray | null;
      if ((m = /^\/api\/([^/]+)$/.exec(p))) {
        const d = apiResourceList('', m[1]);
        if (d) return sendJson(res, 200, d);
      }
      if ((m = /^\/apis\/([^/]+)$/.exec(p))) {
        const d = apiGroup(m[1]);
        if (d) return sendJson(res, 200, d);
      }
      if ((m = /^\/apis\/([^/]+)\/([^/]+)$/.exec(p))) {
        const d = apiResourceList(m[1], m[2]);
        if (d) return sendJson(res, 200, d);
      }
      if (p === '/openapi/v3') return sendJson(res, 200, openApiV3Index());
      if (p.startsWith('/openapi/v3/')) {
        const d = openApiV3ForPath(p.slice('/openapi/v3/'.length));
        if (d) return sendJson(res, 200, d, { 'Cache-Control': 'public, immutable' });
      }
      if (p === '/openapi/v2') {
        if (onlyProtobuf(req)) throw notAcceptable('only application/json is supported for /openapi/v2');
        return sendJson(res, 200, openApiV2());
      }
    }
    const parsed = parseResourcePath(p);
    if (!parsed) throw resourceNotFound();
    if (onlyProtobuf(req) && !wantsTable(req))
      throw notAcceptable(
        'only the following media types are accepted: application/json, application/yaml, application/json;as=Table;v=v1;g=meta.k8s.io',
      );
    return handleResource(req, res, url, parsed);
  }

  const maxInflight = opts.maxRequestsInflight ?? 1000;
  let inflight = 0;
  const longRunning = (req: IncomingMessage) => {
    const u = req.url ?? '';
    return (
      /[?&]watch=(1|true)/.test(u) || /\/watch\//.test(u) || /\/(log|exec|attach|portforward)(\?|$)/.test(u)
    );
  };

  return {
    request(req, res) {
      const started = Date.now();
      if (opts.metrics) {
        const metrics = opts.metrics;
        const labels = requestLabels(req);
        const kind = labels.verb === 'GET' || labels.verb === 'LIST' ? 'readOnly' : 'mutating';
        const counted = !longRunning(req);
        if (counted) metrics.inflight.inc({ request_kind: kind });
        let recorded = false;
        const record = () => {
          if (recorded) return;
          recorded = true;
          if (counted) metrics.inflight.dec({ request_kind: kind });
          metrics.observe(labels, res.statusCode, (Date.now() - started) / 1000);
        };
        res.on('finish', record);
        res.on('close', record);
      }
      if (maxInflight > 0 && !longRunning(req)) {
        if (inflight >= maxInflight) {
          req.resume();
          sendError(
            res,
            new ApiError(
              failure(429, 'TooManyRequests', 'Too many requests, please try again later.', {
                retryAfterSeconds: 1,
              }),
              { 'Retry-After': '1' },
            ),
          );
          return;
        }
        inflight++;
        let done = false;
        const release = () => {
          if (!done) {
            done = true;
            inflight--;
          }
        };
        res.on('finish', release);
        res.on('close', release);
      }
      res.on('finish', () =>
        opts.onRequest?.(req.method ?? '', req.url ?? '', res.statusCode, Date.now() - started),
      );
      if (
        opts.authenticator &&
        !isAnonymousPath(new URL(req.url ?? '/', 'http://localhost').pathname) &&
        !(opts.anonymousLocal && isLocalConnection(req.socket))
      ) {
        try {
          opts.authenticator.authenticate(req.headers.authorization);
        } catch (err) {
          req.resume();
          sendError(res, toApiError(err));
          return;
        }
      }
      route(req, res).catch((err) => {
        const e = toApiError(err);
        if (e.code >= 500 && !(err instanceof ApiError)) console.error('apiserver: internal error', err);
        // drain the body so the client sees the answer rather than a reset
        if (!req.complete) req.resume();
        sendError(res, e);
      });
    },
    upgrade(req, socket, head) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const parsed = parseResourcePath(url.pathname);
      const fail = (err: unknown) => {
        const e = toApiError(err);
        const body = JSON.stringify(e.status);
        socket.end(
          `HTTP/1.1 ${e.code} ${e.status.reason ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      };
      try {
        if (!(opts.anonymousLocal && isLocalConnection(req.socket)))
          opts.authenticator?.authenticate(req.headers.authorization);
        if (!parsed || !parsed.ref.name || !parsed.ref.namespace || parsed.ref.resource !== 'pods')
          throw resourceNotFound();
        const sub = parsed.ref.subresource;
        const kind =
          sub === 'exec'
            ? 'exec'
            : sub === 'attach'
              ? 'attach'
              : sub === 'portforward'
                ? 'portForward'
                : undefined;
        if (!kind) throw resourceNotFound();
        proxyUpgrade(
          h.registry,
          kind,
          parsed.ref.namespace,
          parsed.ref.name,
          url.searchParams,
          req,
          socket,
          head,
        ).catch(fail);
      } catch (err) {
        fail(err);
      }
    },
  };
}
