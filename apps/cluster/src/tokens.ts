/**
 * The cluster's bearer tokens, in `<data-dir>/tokens.csv` (mode 0600), the apiserver's
 * `--token-auth-file` (CSV `token,user,uid,"group1,group2"`):
 * - an admin token (user `keelson-admin`, group `system:masters`), written into the kubeconfig;
 * - a join token in kubeadm's bootstrap-token form `[a-z0-9]{6}.[a-z0-9]{16}` (user
 *   `system:bootstrap:<id>`, groups `system:bootstrappers` and `system:nodes`) for
 *   `keelson node join` on other machines.
 * Created by `keelson up` when missing, kept across restarts.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { loadTokenAuthFile } from '@keelson/apiserver';
import { loadKubeconfig } from '@keelson/client';
import { CliError } from './errors';

/** User name of the admin token. */
export const ADMIN_USER = 'keelson-admin';

/** Random lowercase alphanumerics. */
function randomToken(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
}

/** A bootstrap token as kubeadm makes them: `<6 chars>.<16 chars>`. */
export function newJoinToken(): string {
  return `${randomToken(6)}.${randomToken(16)}`;
}

/** The tokens of a cluster. */
export interface ClusterTokens {
  admin: string;
  join: string;
}

/**
 * Reads the token file, creating it (mode 0600) with new tokens when missing.
 * @throws CliError when the file exists but holds no admin or join token
 */
export function ensureTokens(file: string): ClusterTokens {
  if (!existsSync(file)) {
    const join = newJoinToken();
    const id = join.split('.')[0];
    writeFileSync(
      file,
      `${randomToken(32)},${ADMIN_USER},${ADMIN_USER},"system:masters"\n` +
        `${join},system:bootstrap:${id},bootstrap-${id},"system:bootstrappers,system:nodes"\n`,
      { mode: 0o600 },
    );
  }
  return readTokens(file);
}

/** The admin and join tokens of an existing token file. @throws CliError when one is missing */
export function readTokens(file: string): ClusterTokens {
  let admin: string | undefined;
  let join: string | undefined;
  for (const [token, user] of loadTokenAuthFile(file)) {
    if (user.username === ADMIN_USER) admin ??= token;
    if (user.groups.includes('system:bootstrappers')) join ??= token;
  }
  if (!admin || !join)
    throw new CliError(`${file} has no admin or join token; remove it and run keelson up again`);
  return { admin, join };
}

/** The bearer token of a kubeconfig's current user, if any (for REST calls the CLI makes). */
export function kubeconfigToken(kubeconfig: string): string | undefined {
  if (!existsSync(kubeconfig)) return undefined;
  try {
    return loadKubeconfig(kubeconfig).token;
  } catch {
    return undefined;
  }
}
