/**
 * Static bearer-token authentication, as kube-apiserver's `--token-auth-file`
 * (Kubernetes docs, "Authenticating: Static Token File"): a CSV file with at least three
 * columns `token,user,uid` and an optional fourth, a quoted comma-separated group list
 * (`"group1,group2"`). When configured, every API request must carry
 * `Authorization: Bearer <token>` with a listed token, else it is answered 401 Unauthorized;
 * the health and version endpoints stay anonymous.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { failureStatus } from '@keelson/api';
import { ApiError } from './errors';

/** Who a token authenticates as (authentication.k8s.io UserInfo). */
export interface UserInfo {
  username: string;
  uid: string;
  groups: string[];
}

/** Every authenticated user is also in this group (as upstream). */
export const AUTHENTICATED_GROUP = 'system:authenticated';

/**
 * Parses token-auth-file text. Blank lines are skipped; a line with fewer than 3 columns or an
 * empty token or user is an error.
 * @returns tokens to users
 * @throws Error naming the bad line (1-based)
 */
export function parseTokenAuthFile(text: string): Map<string, UserInfo> {
  const rows = parse(text, {
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
    comment: '#',
  }) as string[][];
  const users = new Map<string, UserInfo>();
  rows.forEach((row, i) => {
    const [token, username, uid, groups] = row;
    if (row.length < 3 || !token || !username)
      throw new Error(`token auth file: line ${i + 1}: want token,user,uid[,"group1,group2"]`);
    users.set(token, {
      username,
      uid: uid ?? '',
      groups: (groups ?? '')
        .split(',')
        .map((g) => g.trim())
        .filter(Boolean),
    });
  });
  return users;
}

/** Reads and parses a token auth file. @throws Error when unreadable or malformed */
export function loadTokenAuthFile(path: string): Map<string, UserInfo> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`token auth file ${path}: ${(err as Error).message}`);
  }
  return parseTokenAuthFile(text);
}

/** The 401 answer upstream gives an unauthenticated request (Status reason Unauthorized). */
export function unauthorized(): ApiError {
  return new ApiError(failureStatus(401, 'Unauthorized', 'Unauthorized'));
}

/** A bearer-token authenticator over a token table. */
export class TokenAuthenticator {
  constructor(private readonly tokens: Map<string, UserInfo>) {}

  /**
   * Authenticates an `Authorization` header value ("Bearer <token>", scheme case-insensitive).
   * @returns the user, with `system:authenticated` added to its groups
   * @throws ApiError 401 Unauthorized when missing, malformed or unknown
   */
  authenticate(authorization: string | undefined): UserInfo {
    const m = /^bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const user = m ? this.tokens.get(m[1]) : undefined;
    if (!user) throw unauthorized();
    return {
      ...user,
      groups: user.groups.includes(AUTHENTICATED_GROUP) ? user.groups : [...user.groups, AUTHENTICATED_GROUP],
    };
  }
}

/** True for a connection from this host: loopback, or a source address equal to the address it reached. */
export function isLocalConnection(socket: { remoteAddress?: string; localAddress?: string }): boolean {
  const remote = (socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  const local = (socket.localAddress ?? '').replace(/^::ffff:/, '');
  return remote === '::1' || remote.startsWith('127.') || (remote !== '' && remote === local);
}

/** Paths served without authentication, as upstream's default: /healthz, /livez, /readyz (and sub-checks), /version. */
export function isAnonymousPath(pathname: string): boolean {
  const p = pathname.replace(/\/+$/, '') || '/';
  return p === '/version' || /^\/(healthz|livez|readyz)(\/.*)?$/.test(p);
}
