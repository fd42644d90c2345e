/**
 * Reads the connection a standard kubeconfig describes (kubectl's `clientcmd` format, v1): the
 * current context's cluster and user. Keelson's apiserver writes the gRPC endpoint as the cluster
 * extension `keelson.dev/grpc` (`extensions: [{ name: 'keelson.dev/grpc', extension: { server:
 * 'host:port' } }]`); without it the gRPC address is the REST server URL's host with port + 1.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ClientConfigError } from './errors';

/** The cluster extension name carrying the gRPC endpoint. */
export const GRPC_EXTENSION_NAME = 'keelson.dev/grpc';

/** What a kubeconfig says about how to reach the apiserver over gRPC. */
export interface KubeconfigTarget {
  /** "host:port" of the gRPC ApiServer service. */
  grpcAddress: string;
  /** The REST server URL of the cluster entry (e.g. "https://127.0.0.1:6443"). */
  server: string;
  /** Bearer token of the context's user (token or tokenFile), if any. */
  token?: string;
  /** PEM CA bundle (certificate-authority-data or certificate-authority), if any. */
  caData?: Buffer;
  /** PEM client certificate and key of the user (client-certificate[-data], client-key[-data]), if any. */
  certData?: Buffer;
  keyData?: Buffer;
  /** True when the extension asks for TLS on the gRPC port (`extension.tls: true`). */
  tls: boolean;
  /** The context's default namespace ("default" when unset). */
  namespace: string;
  /** Names used: context, cluster and user. */
  context: string;
  cluster: string;
  user?: string;
}

interface Named<T> {
  name: string;
  [k: string]: unknown;
  value?: T;
}

function pick<T>(list: unknown, name: string, field: string): T | undefined {
  if (!Array.isArray(list)) return undefined;
  const entry = (list as Array<Named<T>>).find((x) => x && x.name === name);
  return entry ? (entry[field] as T) : undefined;
}

/**
 * Parses kubeconfig text. `baseDir` resolves relative file paths (tokenFile,
 * certificate-authority). `context` overrides current-context.
 * Throws ClientConfigError when the context, cluster or server is missing.
 */
export function parseKubeconfig(
  text: string,
  opts: { baseDir?: string; context?: string } = {},
): KubeconfigTarget {
  let doc: Record<string, unknown>;
  try {
    doc = (parseYaml(text) ?? {}) as Record<string, unknown>;
  } catch (e) {
    throw new ClientConfigError(`kubeconfig is not valid YAML: ${(e as Error).message}`);
  }
  const contextName = opts.context ?? (doc['current-context'] as string | undefined);
  if (!contextName) throw new ClientConfigError('kubeconfig has no current-context');
  const ctx = pick<{ cluster?: string; user?: string; namespace?: string }>(
    doc.contexts,
    contextName,
    'context',
  );
  if (!ctx?.cluster)
    throw new ClientConfigError(`kubeconfig context "${contextName}" not found or has no cluster`);
  const cluster = pick<Record<string, unknown>>(doc.clusters, ctx.cluster, 'cluster');
  if (!cluster) throw new ClientConfigError(`kubeconfig cluster "${ctx.cluster}" not found`);
  const server = typeof cluster.server === 'string' ? cluster.server : '';
  const ext = pick<Record<string, unknown>>(cluster.extensions, GRPC_EXTENSION_NAME, 'extension');
  let grpcAddress = typeof ext?.server === 'string' ? ext.server : '';
  if (!grpcAddress) {
    if (!server) throw new ClientConfigError(`kubeconfig cluster "${ctx.cluster}" has no server`);
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw new ClientConfigError(
        `kubeconfig cluster "${ctx.cluster}" server ${JSON.stringify(server)} is not a URL`,
      );
    }
    const port = Number(url.port || (url.protocol === 'http:' ? 80 : 443));
    // URL.hostname keeps the brackets of an IPv6 literal ("[::1]").
    grpcAddress = `${url.hostname}:${port + 1}`;
  }
  const base = opts.baseDir ?? process.cwd();
  let caData: Buffer | undefined;
  if (typeof cluster['certificate-authority-data'] === 'string')
    caData = Buffer.from(cluster['certificate-authority-data'], 'base64');
  else if (typeof cluster['certificate-authority'] === 'string')
    caData = readFileSync(resolve(base, cluster['certificate-authority']));
  let token: string | undefined;
  const user = ctx.user ? pick<Record<string, unknown>>(doc.users, ctx.user, 'user') : undefined;
  const fileOrData = (o: Record<string, unknown> | undefined, field: string): Buffer | undefined => {
    if (typeof o?.[`${field}-data`] === 'string') return Buffer.from(o[`${field}-data`] as string, 'base64');
    if (typeof o?.[field] === 'string') return readFileSync(resolve(base, o[field] as string));
    return undefined;
  };
  const certData = fileOrData(user, 'client-certificate');
  const keyData = fileOrData(user, 'client-key');
  if (typeof user?.token === 'string') token = user.token;
  else if (typeof user?.tokenFile === 'string')
    token = readFileSync(resolve(base, user.tokenFile), 'utf8').trim();
  return {
    grpcAddress,
    server,
    token,
    caData,
    certData,
    keyData,
    tls: ext?.tls === true,
    namespace: ctx.namespace || 'default',
    context: contextName,
    cluster: ctx.cluster,
    user: ctx.user,
  };
}

/** Reads and parses a kubeconfig file; see {@link parseKubeconfig}. Throws ClientConfigError if unreadable. */
export function loadKubeconfig(path: string, opts: { context?: string } = {}): KubeconfigTarget {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ClientConfigError(`cannot read kubeconfig ${path}: ${(e as Error).message}`);
  }
  return parseKubeconfig(text, { baseDir: dirname(path), context: opts.context });
}
