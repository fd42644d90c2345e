/**
 * pods/log, pods/exec, pods/attach and pods/portforward proxied to the kubelet of the pod's node:
 * the node's InternalIP (status.addresses) and status.daemonEndpoints.kubeletEndpoint.Port
 * (default 10250), plain HTTP. Logs stream GET /containerLogs/<ns>/<pod>/<container>; exec and
 * attach forward the HTTP Upgrade (WebSocket v5/v4.channel.k8s.io or SPDY) to
 * /exec|/attach/<ns>/<pod>/<container> and then pipe the raw sockets.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { resourceForPath, type KubeObject } from '@keelson/api';
import { ApiError, badRequest, failure } from '../errors';
import type { GenericRegistry } from '../registry/generic-registry';

/** Where a container's kubelet lives. */
export interface KubeletTarget {
  host: string;
  port: number;
  namespace: string;
  pod: string;
  container: string;
}

const LOG_PARAMS = [
  'follow',
  'tailLines',
  'sinceSeconds',
  'sinceTime',
  'previous',
  'timestamps',
  'limitBytes',
  'pretty',
];

/**
 * Resolves the kubelet endpoint and container for a pod (`container` false: none needed, as for
 * portforward, where `container` is then ""). Errors: 400 (unscheduled, bad container), 404.
 */
export async function kubeletTarget(
  registry: GenericRegistry,
  namespace: string,
  podName: string,
  container: string | null | false,
): Promise<KubeletTarget> {
  const pods = resourceForPath('', 'v1', 'pods')!;
  const nodes = resourceForPath('', 'v1', 'nodes')!;
  const pod = (await registry.get(pods, namespace, podName)) as KubeObject & { spec?: any };
  const names: string[] = [
    ...(pod.spec?.containers ?? []).map((c: any) => c.name),
    ...(pod.spec?.initContainers ?? []).map((c: any) => c.name),
    ...(pod.spec?.ephemeralContainers ?? []).map((c: any) => c.name),
  ];
  let c = container === false ? '' : container;
  if (!c && container !== false) {
    const def = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
    if (def && names.includes(def)) c = def;
    else if ((pod.spec?.containers ?? []).length === 1) c = pod.spec.containers[0].name;
    else
      throw badRequest(
        `a container name must be specified for pod ${podName}, choose one of: [${(pod.spec?.containers ?? []).map((x: any) => x.name).join(' ')}]`,
      );
  }
  if (container !== false && !names.includes(c!))
    throw badRequest(`container ${c} is not valid for pod ${podName}`);
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) throw badRequest(`pod ${podName} does not have a host assigned`);
  const node = (await registry.get(nodes, undefined, nodeName)) as KubeObject & { status?: any };
  const addrs: any[] = node.status?.addresses ?? [];
  const host =
    addrs.find((a) => a.type === 'InternalIP')?.address ?? addrs.find((a) => a.type === 'Hostname')?.address;
  if (!host) throw new ApiError(failure(500, 'InternalError', `node ${nodeName} has no InternalIP address`));
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 10250;
  return { host, port, namespace, pod: podName, container: c! };
}

/** Streams container logs from the kubelet to `res`. */
export async function proxyLogs(
  registry: GenericRegistry,
  namespace: string,
  pod: string,
  q: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const t = await kubeletTarget(registry, namespace, pod, q.get('container'));
  const params = new URLSearchParams();
  for (const p of LOG_PARAMS) {
    const v = q.get(p);
    if (v !== null) params.set(p, v);
  }
  const path = `/containerLogs/${encodeURIComponent(t.namespace)}/${encodeURIComponent(t.pod)}/${encodeURIComponent(t.container)}${params.size ? `?${params}` : ''}`;
  await new Promise<void>((resolve) => {
    const up = httpRequest(
      { host: t.host, port: t.port, path, method: 'GET', headers: { accept: '*/*' } },
      (kres) => {
        const code = kres.statusCode ?? 502;
        if (code >= 400) {
          // The kubelet answers errors as text (e.g. 'container "c" in pod "p" is waiting to start:
          // ContainerCreating'); clients expect a Status carrying that message.
          let body = '';
          kres.setEncoding('utf8');
          kres.on('data', (d: string) => (body += d));
          kres.on('end', () => {
            let message = body.trim();
            try {
              message = (JSON.parse(body) as { message?: string }).message ?? message;
            } catch {
              /* plain text */
            }
            const reason = code === 404 ? 'NotFound' : code === 400 ? 'BadRequest' : 'InternalError';
            res.writeHead(code, { 'Content-Type': 'application/json' });
            res.end(JSON.stringify(failure(code, reason, message)));
            resolve();
          });
          return;
        }
        res.writeHead(code, { 'Content-Type': kres.headers['content-type'] ?? 'text/plain' });
        kres.pipe(res);
        kres.on('end', resolve);
        kres.on('error', () => {
          res.destroy();
          resolve();
        });
      },
    );
    up.on('error', (err) => {
      if (!res.headersSent) {
        const st = failure(500, 'InternalError', `Get "http://${t.host}:${t.port}${path}": ${err.message}`);
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(st));
      } else res.destroy();
      resolve();
    });
    req.on('close', () => up.destroy());
    up.end();
  });
}

/**
 * Forwards an upgrade request (exec/attach/portforward) to the kubelet and pipes the sockets.
 * `kind` is the kubelet path segment: "exec", "attach" or "portForward".
 */
export async function proxyUpgrade(
  registry: GenericRegistry,
  kind: 'exec' | 'attach' | 'portForward',
  namespace: string,
  pod: string,
  q: URLSearchParams,
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
): Promise<void> {
  const t = await kubeletTarget(
    registry,
    namespace,
    pod,
    kind === 'portForward' ? false : q.get('container'),
  );
  const params = new URLSearchParams(q);
  params.delete('container');
  const path =
    kind === 'portForward'
      ? `/portForward/${encodeURIComponent(t.namespace)}/${encodeURIComponent(t.pod)}${params.size ? `?${params}` : ''}`
      : `/${kind}/${encodeURIComponent(t.namespace)}/${encodeURIComponent(t.pod)}/${encodeURIComponent(t.container)}${params.size ? `?${params}` : ''}`;
  const up = connect(t.port, t.host);
  await new Promise<void>((resolve, reject) => {
    up.once('connect', resolve);
    up.once('error', reject);
  }).catch((err: Error) => {
    throw new ApiError(failure(500, 'InternalError', `error dialing backend: ${err.message}`));
  });
  const lines = [`${req.method} ${path} HTTP/1.1`];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const k = req.rawHeaders[i];
    if (k.toLowerCase() === 'host') continue;
    lines.push(`${k}: ${req.rawHeaders[i + 1]}`);
  }
  lines.push(`Host: ${t.host}:${t.port}`);
  up.write(lines.join('\r\n') + '\r\n\r\n');
  if (head.length) up.write(head);
  up.pipe(socket);
  socket.pipe(up);
  const close = () => {
    up.destroy();
    socket.destroy();
  };
  up.on('error', close);
  socket.on('error', close);
  up.on('close', close);
  socket.on('close', close);
}
