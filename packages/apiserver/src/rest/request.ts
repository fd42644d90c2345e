/**
 * HTTP request helpers: reading bodies under a size limit (413 beyond it), decoding JSON or YAML
 * bodies (400 with upstream-style messages), query options, and writing Status errors.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import type { ApiError } from '../errors';
import { badRequest, tooLarge } from '../errors';
import { decodeKubernetesProtobuf, PROTOBUF_TYPE } from './protobuf';
import type { ListOptions, WriteOptions } from '../registry/generic-registry';

/** Request bodies larger than this are rejected with 413 (upstream's 3 MiB limit). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** Reads the whole body. Throws ApiError 413 when it exceeds `limit` bytes. */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!failed) reject(e);
    });
  });
}

/** The media type of a request (no parameters, lower case). */
export function mediaType(req: IncomingMessage): string {
  return String(req.headers['content-type'] ?? 'application/json')
    .split(';')[0]
    .trim()
    .toLowerCase();
}

/** Decodes a JSON or YAML body. Throws ApiError 400 (malformed) or 415 (other media types). */
export function decodeBody(body: Buffer, type: string): unknown {
  if (type === PROTOBUF_TYPE) return decodeKubernetesProtobuf(body);
  const text = body.toString('utf8');
  if (!text.trim()) throw badRequest('the body of the request was empty');
  if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') {
    try {
      return parseYaml(text);
    } catch (err) {
      throw badRequest(`error converting YAML to JSON: yaml: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (type === 'application/json' || type === '' || type === '*/*' || type.endsWith('+json')) {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
    }
  }
  throw badRequest(
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got ${type})`,
  );
}

function boolParam(v: string | null): boolean {
  return v === 'true' || v === '1';
}

/** metav1.ListOptions from the query string. Throws 400 on a malformed number. */
export function listOptions(q: URLSearchParams): ListOptions {
  const num = (name: string): number | undefined => {
    const v = q.get(name);
    if (v === null || v === '') return undefined;
    if (!/^-?\d+$/.test(v)) throw badRequest(`${name}: Invalid value: "${v}": must be an integer`);
    return Number(v);
  };
  return {
    labelSelector: q.get('labelSelector') ?? undefined,
    fieldSelector: q.get('fieldSelector') ?? undefined,
    resourceVersion: q.get('resourceVersion') ?? undefined,
    resourceVersionMatch: q.get('resourceVersionMatch') || undefined,
    limit: num('limit'),
    continue: q.get('continue') || undefined,
    allowWatchBookmarks: boolParam(q.get('allowWatchBookmarks')),
    timeoutSeconds: num('timeoutSeconds'),
    sendInitialEvents: boolParam(q.get('sendInitialEvents')),
  };
}

/** Create/update/patch options from the query string. */
export function writeOptions(q: URLSearchParams): WriteOptions {
  const dry = q.getAll('dryRun');
  if (dry.some((d) => d !== 'All'))
    throw badRequest(`dryRun: Unsupported value: "${dry.find((d) => d !== 'All')}": supported values: "All"`);
  return {
    fieldValidation: q.get('fieldValidation') ?? undefined,
    fieldManager: q.get('fieldManager') ?? undefined,
    dryRun: dry.length > 0,
  };
}

/** Writes a JSON response. */
export function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
  contentType = 'application/json',
): void {
  const data = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(data), ...headers });
  res.end(data);
}

/** Writes an ApiError as its Status. */
export function sendError(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, err.code, err.status, err.headers);
}

/** Formats warnings for the `Warning` header (RFC 7234 warn-code 299). */
export function warningHeader(warnings: string[]): string[] {
  return warnings.map((w) => `299 - ${JSON.stringify(w)}`);
}
