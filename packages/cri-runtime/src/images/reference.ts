import { invalid } from '../errors';

/** An image reference split into its parts, fully qualified. */
export interface ImageReference {
  /** Registry host (with port), e.g. `docker.io`, `127.0.0.1:5000`. */
  domain: string;
  /** Repository path inside the registry, e.g. `library/busybox`. */
  path: string;
  /** Tag, e.g. `latest`; undefined when only a digest was given. */
  tag?: string;
  /** Manifest digest `sha256:<hex>` when the reference pins one. */
  digest?: string;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/**
 * Parses an image reference the way users write it and the Docker/containerd reference grammar
 * defines it (distribution/reference, "docker.io" normalization): `busybox` →
 * docker.io/library/busybox:latest; `busybox:1.36`; `docker.io/library/busybox:latest`;
 * `127.0.0.1:5000/team/app:v1`; `name@sha256:<hex>`. A reference with neither tag nor digest
 * gets the tag `latest`.
 *
 * @throws CriError INVALID_ARGUMENT for an empty or malformed reference.
 */
export function parseReference(ref: string): ImageReference {
  const input = ref.trim();
  if (!input) throw invalid('image reference is empty');
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(`image reference "${ref}": invalid digest "${digest}"`);
  }
  let tag: string | undefined;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(`image reference "${ref}": invalid tag "${tag}"`);
  }
  let domain = 'docker.io';
  let path = rest;
  const first = rest.indexOf('/');
  if (first >= 0) {
    const head = rest.slice(0, first);
    if (head.includes('.') || head.includes(':') || head === 'localhost') {
      domain = head;
      path = rest.slice(first + 1);
    }
  }
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  if (!path || !path.split('/').every((c) => COMPONENT.test(c))) {
    throw invalid(
      `image reference "${ref}": invalid repository name "${path}" (lowercase letters, digits, separators)`,
    );
  }
  if (!tag && !digest) tag = 'latest';
  return { domain, path, tag, digest };
}

/** `domain/path` of a reference, e.g. `docker.io/library/busybox`. */
export function repositoryName(r: ImageReference): string {
  return `${r.domain}/${r.path}`;
}

/**
 * The canonical string form: `docker.io/library/busybox:latest`, or `repo@sha256:...` for a
 * digest reference (a tag beside a digest is kept: `repo:tag@sha256:...`).
 */
export function formatReference(r: ImageReference): string {
  let s = repositoryName(r);
  if (r.tag) s += `:${r.tag}`;
  if (r.digest) s += `@${r.digest}`;
  return s;
}

/** Parses and re-formats a reference: `busybox` → `docker.io/library/busybox:latest`. */
export function normalizeReference(ref: string): string {
  return formatReference(parseReference(ref));
}
