import { Readable } from 'node:stream';
import { invalid, notFound, CriError } from '../errors';
import { status as grpcStatus } from '@grpc/grpc-js';
import { isDigest, sha256 } from './digest';
import { Descriptor, ImageIndex, ImageManifest, MediaTypes } from './oci-types';
import { formatReference, parseReference } from './reference';
import { ImageStore, pickPlatform, StoredImage } from './store';

/** Credentials for a registry (CRI AuthConfig): user/password, or a pre-encoded `auth` (base64 user:pass), or a bearer token. */
export interface RegistryAuth {
  username?: string;
  password?: string;
  /** base64(`user:password`), as in Docker's config.json. */
  auth?: string;
  /** A token sent as `Authorization: Bearer` directly. */
  registryToken?: string;
  identityToken?: string;
}

/** Options of {@link pullImage}. */
export interface PullOptions {
  auth?: RegistryAuth;
  /**
   * Whether to speak plain HTTP to a registry host (default: true for localhost/127.0.0.1/::1
   * hosts, HTTPS otherwise — the way Docker treats loopback registries as insecure).
   */
  plainHttp?: (host: string) => boolean;
  /** Injected fetch (tests); default the global fetch. */
  fetch?: typeof fetch;
  /** Milliseconds to wait for a registry's response headers (default 20000). */
  timeoutMs?: number;
}

const ACCEPT = [
  MediaTypes.ociIndex,
  MediaTypes.ociManifest,
  MediaTypes.dockerManifestList,
  MediaTypes.dockerManifest,
].join(', ');

function isLoopback(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

/**
 * A client for the OCI distribution API (distribution-spec v1.0: GET /v2/<name>/manifests/<ref>,
 * GET /v2/<name>/blobs/<digest>), with anonymous access, Basic auth, and the Docker token flow
 * (401 with `WWW-Authenticate: Bearer realm=...,service=...,scope=...`).
 */
class RegistryClient {
  private token?: string;
  private readonly base: string;
  private readonly fetch: typeof fetch;

  constructor(
    private readonly host: string,
    private readonly repo: string,
    private readonly opts: PullOptions,
  ) {
    const registry = host === 'docker.io' ? 'registry-1.docker.io' : host;
    const plain = (opts.plainHttp ?? isLoopback)(host);
    this.base = `${plain ? 'http' : 'https'}://${registry}/v2/${repo}`;
    this.fetch = opts.fetch ?? fetch;
  }

  private basic(): string | undefined {
    const a = this.opts.auth;
    if (a?.auth) return `Basic ${a.auth}`;
    if (a?.username) return `Basic ${Buffer.from(`${a.username}:${a.password ?? ''}`).toString('base64')}`;
    return undefined;
  }

  private async authorize(challenge: string): Promise<void> {
    const scheme = challenge.split(' ')[0].toLowerCase();
    if (scheme === 'basic') {
      if (!this.basic())
        throw new CriError(grpcStatus.UNAUTHENTICATED, `registry ${this.host} requires credentials`);
      this.token = undefined;
      return;
    }
    if (scheme !== 'bearer')
      throw new CriError(
        grpcStatus.UNAUTHENTICATED,
        `registry ${this.host}: unsupported auth scheme ${scheme}`,
      );
    if (this.opts.auth?.registryToken) {
      this.token = this.opts.auth.registryToken;
      return;
    }
    const params: Record<string, string> = {};
    for (const m of challenge.slice(7).matchAll(/(\w+)="([^"]*)"/g)) params[m[1]] = m[2];
    if (!params.realm)
      throw new CriError(grpcStatus.UNAUTHENTICATED, `registry ${this.host}: bearer challenge without realm`);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', params.scope ?? `repository:${this.repo}:pull`);
    const headers: Record<string, string> = {};
    const b = this.basic();
    if (b) headers.authorization = b;
    const r = await this.fetch(url, { headers });
    if (!r.ok)
      throw new CriError(
        grpcStatus.UNAUTHENTICATED,
        `registry ${this.host}: token request failed: HTTP ${r.status}`,
      );
    const body = (await r.json()) as { token?: string; access_token?: string };
    this.token = body.token ?? body.access_token;
  }

  private async get(path: string, accept?: string): Promise<Response> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const headers: Record<string, string> = {};
      if (accept) headers.accept = accept;
      if (this.token) headers.authorization = `Bearer ${this.token}`;
      else if (this.basic()) headers.authorization = this.basic()!;
      let r: Response;
      // The timeout covers the response headers only: a large blob may take longer to stream.
      const abort = new AbortController();
      const timer = setTimeout(
        () => abort.abort(new Error('timed out waiting for the registry')),
        this.opts.timeoutMs ?? 20_000,
      );
      try {
        r = await this.fetch(`${this.base}${path}`, { headers, redirect: 'follow', signal: abort.signal });
      } catch (e) {
        throw new CriError(
          grpcStatus.UNAVAILABLE,
          `registry ${this.host} unreachable: ${(e as Error).message}${(e as { cause?: Error }).cause ? ` (${(e as { cause: Error }).cause.message})` : ''}`,
        );
      } finally {
        clearTimeout(timer);
      }
      if (r.status === 401 && attempt === 0) {
        await r.body?.cancel();
        await this.authorize(r.headers.get('www-authenticate') ?? '');
        continue;
      }
      if (r.status === 401 || r.status === 403) {
        await r.body?.cancel();
        throw new CriError(
          grpcStatus.PERMISSION_DENIED,
          `registry ${this.host}: access to ${this.repo} denied (HTTP ${r.status})`,
        );
      }
      if (r.status === 404) {
        await r.body?.cancel();
        throw notFound(
          `registry ${this.host}: ${this.repo}${path.replace(/^\/(manifests|blobs)\//, path.startsWith('/manifests') ? ':' : '@')} not found`,
        );
      }
      if (!r.ok) {
        await r.body?.cancel();
        throw new CriError(grpcStatus.UNKNOWN, `registry ${this.host}: GET ${path}: HTTP ${r.status}`);
      }
      return r;
    }
    throw new CriError(grpcStatus.UNAUTHENTICATED, `registry ${this.host}: authentication failed`);
  }

  /** Fetches a manifest or index by tag or digest; verifies it when fetched by digest. */
  async manifest(ref: string): Promise<{ bytes: Buffer; mediaType: string; digest: string }> {
    const r = await this.get(`/manifests/${ref}`, ACCEPT);
    const bytes = Buffer.from(await r.arrayBuffer());
    const digest = sha256(bytes);
    if (isDigest(ref) && ref !== digest) {
      throw invalid(`registry ${this.host}: manifest ${ref} has digest ${digest}: content corrupted`);
    }
    const mediaType =
      (r.headers.get('content-type') ?? '').split(';')[0] ||
      (JSON.parse(bytes.toString()) as { mediaType?: string }).mediaType ||
      MediaTypes.ociManifest;
    return { bytes, mediaType, digest };
  }

  /** Streams a blob into the store, which verifies its digest. */
  async blob(store: ImageStore, d: Descriptor): Promise<void> {
    if (store.hasBlob(d.digest)) return;
    const r = await this.get(`/blobs/${d.digest}`);
    await store.putBlobStream(d.digest, Readable.fromWeb(r.body as never), d.size);
  }
}

/**
 * CRI PullImage over the OCI distribution API: resolves the reference (`busybox` →
 * docker.io/library/busybox:latest), fetches the manifest (a manifest list/index picks
 * linux/amd64), then config and layers, each verified against its digest by the store (a
 * corrupted blob is rejected and nothing is tagged), unpacks layers and tags the image.
 * @returns the stored image (its `id`, the config digest, is what PullImage answers).
 * @throws CriError NOT_FOUND (no such repository/tag), UNAUTHENTICATED/PERMISSION_DENIED,
 *   UNAVAILABLE (registry unreachable), DigestMismatchError for corrupted content.
 */
export async function pullImage(
  store: ImageStore,
  reference: string,
  opts: PullOptions = {},
): Promise<StoredImage> {
  const ref = parseReference(reference);
  const client = new RegistryClient(ref.domain, ref.path, opts);
  let m = await client.manifest(ref.digest ?? ref.tag!);
  const topDigest = m.digest;
  if (m.mediaType === MediaTypes.ociIndex || m.mediaType === MediaTypes.dockerManifestList) {
    const index = JSON.parse(m.bytes.toString()) as ImageIndex;
    const chosen = pickPlatform(index.manifests, `pull ${formatReference(ref)}`);
    m = await client.manifest(chosen.digest);
  }
  const manifest = JSON.parse(m.bytes.toString()) as ImageManifest;
  if (!manifest.config || !Array.isArray(manifest.layers))
    throw invalid(`pull ${formatReference(ref)}: not an image manifest (${m.mediaType})`);
  for (const d of [manifest.config, ...manifest.layers]) await client.blob(store, d);
  await store.putBlob(m.digest, m.bytes);
  const desc: Descriptor = { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length };
  void topDigest;
  return store.tag(formatReference(ref), desc);
}
