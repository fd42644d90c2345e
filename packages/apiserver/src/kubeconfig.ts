/**
 * Writes a kubeconfig (clientcmd v1 Config) for the apiserver: one cluster `keelson` with
 * `server: http://<rest address>` (no TLS; a bearer token when given; `insecure-skip-tls-verify: true` so clients
 * that insist on TLS settings accept plain HTTP) and the cluster extension
 * `keelson.dev/grpc` naming the gRPC address, which @keelson/client reads.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

/** Name of the kubeconfig cluster extension that carries the gRPC address. */
export const GRPC_EXTENSION_NAME = 'keelson.dev/grpc';

/** The kubeconfig document for a server. */
export function kubeconfigDocument(opts: {
  url: string;
  grpcAddress: string;
  name?: string;
  /** Bearer token of the user (`users[].user.token`), for a server with token authentication. */
  token?: string;
}): object {
  const name = opts.name ?? 'keelson';
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        cluster: {
          server: opts.url,
          // plain HTTP: @kubernetes/client-node refuses http:// servers unless this is set
          'insecure-skip-tls-verify': true,
          extensions: [{ name: GRPC_EXTENSION_NAME, extension: { server: opts.grpcAddress } }],
        },
      },
    ],
    contexts: [{ name, context: { cluster: name, user: name, namespace: 'default' } }],
    'current-context': name,
    users: [{ name, user: opts.token ? { token: opts.token } : {} }],
    preferences: {},
  };
}

/**
 * Writes the kubeconfig to `path` (mode 0600, parent directories created).
 * @param opts.url REST URL, e.g. "http://127.0.0.1:6443"; opts.grpcAddress "127.0.0.1:6444".
 */
export async function writeKubeconfig(
  path: string,
  opts: { url: string; grpcAddress: string; name?: string; token?: string },
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, stringify(kubeconfigDocument(opts)), { mode: 0o600 });
}
