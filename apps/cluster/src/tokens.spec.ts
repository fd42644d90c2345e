import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTokenAuthFile } from '@keelson/apiserver';
import { ADMIN_USER, ensureTokens, newJoinToken } from './tokens';

describe('cluster tokens', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keelson-tokens-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('makes join tokens in the bootstrap-token form', () => {
    expect(newJoinToken()).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
  });

  it('creates a 0600 token-auth-file with an admin and a join token, and keeps it', () => {
    const file = join(dir, 'tokens.csv');
    const t = ensureTokens(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const users = parseTokenAuthFile(readFileSync(file, 'utf8'));
    expect(users.get(t.admin)).toMatchObject({ username: ADMIN_USER, groups: ['system:masters'] });
    expect(users.get(t.join)?.groups).toEqual(['system:bootstrappers', 'system:nodes']);
    expect(users.get(t.join)?.username).toBe(`system:bootstrap:${t.join.split('.')[0]}`);
    expect(ensureTokens(file)).toEqual(t);
  });
});
