import { normalizeReference, parseReference } from './reference';

describe('image references (Docker normalization)', () => {
  test.each([
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['docker.io/library/busybox:latest', 'docker.io/library/busybox:latest'],
    ['index.docker.io/library/busybox', 'docker.io/library/busybox:latest'],
    ['team/app', 'docker.io/team/app:latest'],
    ['127.0.0.1:5000/team/app:v1', '127.0.0.1:5000/team/app:v1'],
    ['localhost/app', 'localhost/app:latest'],
    ['registry.k8s.io/pause:3.9', 'registry.k8s.io/pause:3.9'],
    [`busybox@sha256:${'a'.repeat(64)}`, `docker.io/library/busybox@sha256:${'a'.repeat(64)}`],
    [`busybox:1.36@sha256:${'b'.repeat(64)}`, `docker.io/library/busybox:1.36@sha256:${'b'.repeat(64)}`],
  ])('%s → %s', (input, want) => {
    expect(normalizeReference(input)).toBe(want);
  });

  test('a registry port is not mistaken for a tag', () => {
    expect(parseReference('127.0.0.1:5000/app')).toEqual({
      domain: '127.0.0.1:5000',
      path: 'app',
      tag: 'latest',
      digest: undefined,
    });
  });

  test.each(['', 'Busybox', 'busybox:bad tag', 'busybox@sha256:xyz', 'a//b'])('rejects %j', (bad) => {
    expect(() => parseReference(bad)).toThrow(/image reference|empty/);
  });
});
