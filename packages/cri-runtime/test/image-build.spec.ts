import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  existsSync,
  readdirSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { buildImage } from '../src/images/image-build';
import { BuildError } from '../src/errors';
import { ContainerState } from '../src/cri-api';
import type { ImageConfig, ImageManifest } from '../src/images/oci-types';
import {
  busyboxLayout,
  containerConfig,
  describeRoot,
  readOr,
  removeBusyboxLayout,
  sandboxConfig,
  startTestRuntime,
  TestRuntime,
  waitFor,
} from './helpers';

/** Writes a build context: `files` relative path → content. */
function context(parent: string, name: string, files: Record<string, string>): string {
  const dir = join(parent, name);
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
  return dir;
}

function layoutConfig(dir: string): { config: ImageConfig; manifest: ImageManifest } {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  const blob = (d: string) => JSON.parse(readFileSync(join(dir, 'blobs/sha256', d.slice(7)), 'utf8'));
  const manifest = blob(index.manifests[0].digest) as ImageManifest;
  return { manifest, config: blob(manifest.config.digest) as ImageConfig };
}

const buildLeftovers = () => ({
  netns: existsSync('/var/run/netns')
    ? readdirSync('/var/run/netns').filter((n) => n.startsWith(`keelson-build-${process.pid}-`))
    : [],
  mounts: spawnSync('findmnt', ['-rn', '-o', 'TARGET'])
    .stdout.toString()
    .split('\n')
    .filter((m) => m.includes('keelson-build-')),
  cgroups: readdirSync('/sys/fs/cgroup/memory').filter((c) => c.startsWith(`keelson-build-${process.pid}-`)),
});

describeRoot('buildImage (Dockerfile → OCI layout, RUN in runc)', () => {
  let scratch = '';
  let t: TestRuntime;
  let busyboxDir = '';
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'kt-build-'));
    t = await startTestRuntime();
    busyboxDir = (await busyboxLayout()).dir;
  }, 120000);
  afterAll(async () => {
    await t?.cleanup();
    removeBusyboxLayout();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  /** Runs the image's default command in a pod; returns its exit code and stdout lines. */
  async function runImage(image: string, name: string): Promise<{ exitCode: number; out: string[] }> {
    const cfg = sandboxConfig(t.root);
    const { podSandboxId } = await t.client.rt('runPodSandbox', { config: cfg });
    const { containerId } = await t.client.rt('createContainer', {
      podSandboxId,
      config: { ...containerConfig(name, []), image: { image } },
      sandboxConfig: cfg,
    });
    await t.client.rt('startContainer', { containerId });
    const s = await waitFor(async () => {
      const r = await t.client.rt('containerStatus', { containerId });
      return r.status.state === ContainerState.CONTAINER_EXITED ? r.status : undefined;
    });
    const out = readOr(join(cfg.logDirectory, `${name}.log`))
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ').slice(3).join(' '));
    await t.client.rt('removePodSandbox', { podSandboxId });
    return { exitCode: s.exitCode, out };
  }

  test('FROM busybox + COPY + RUN + ENV + WORKDIR + USER + CMD: the image runs with the RUN outputs', async () => {
    const ctx = context(scratch, 'app', {
      Dockerfile: [
        'FROM busybox',
        'ARG WHO=world',
        'ENV GREETING="hello $WHO" APP_HOME=/srv/app',
        'WORKDIR $APP_HOME',
        'COPY message.txt ./',
        'COPY conf/ ./conf/',
        // A deleted file (whiteout) and a directory deleted and made again (opaque directory).
        'RUN echo "run saw $(cat message.txt) for $WHO" > run.txt && rm /etc/group && mkdir -p /data',
        'RUN rm -rf /var/www && mkdir /var/www && echo fresh > /var/www/new.html',
        'ADD bundle.tgz /opt/',
        'RUN chown nobody /data',
        'USER nobody',
        'RUN id -u > /data/uid && echo hi > /data/by-nobody',
        'EXPOSE 8080/tcp',
        'LABEL org.example.app=demo',
        'CMD ["sh", "-c", "cat run.txt; echo $GREETING; pwd; cat /data/uid; ls conf; test -e /etc/group || echo group-gone; ls /var/www; cat /opt/inside.txt"]',
      ].join('\n'),
      'message.txt': 'from-context',
      'conf/a.conf': 'a',
      'conf/secret.key': 'nope',
      '.dockerignore': '**/*.key\n',
    });
    mkdirSync(join(scratch, 'bundle'));
    writeFileSync(join(scratch, 'bundle', 'inside.txt'), 'extracted by ADD');
    expect(
      spawnSync('tar', ['-czf', join(ctx, 'bundle.tgz'), '-C', join(scratch, 'bundle'), '.']).status,
    ).toBe(0);
    const out = join(scratch, 'app-oci');
    const lines: string[] = [];
    const built = await buildImage(ctx, {
      tag: 'keelson-test/app:1',
      outDir: out,
      baseImages: [busyboxDir],
      buildArgs: { WHO: 'keelson' },
      log: (l) => lines.push(l),
    });
    expect(built.ref).toBe('docker.io/keelson-test/app:1');
    expect(lines.join('\n')).toContain('Dockerfile:7: RUN /bin/sh -c echo');

    // The layout's config follows the OCI image spec.
    const { config, manifest } = layoutConfig(out);
    expect(config.config).toMatchObject({
      WorkingDir: '/srv/app',
      User: 'nobody',
      Cmd: ['sh', '-c', expect.stringContaining('cat run.txt')],
      ExposedPorts: { '8080/tcp': {} },
      Labels: { 'org.example.app': 'demo' },
    });
    expect(config.config?.Env).toEqual(
      expect.arrayContaining([
        'GREETING=hello keelson',
        'APP_HOME=/srv/app',
        expect.stringMatching(/^PATH=/),
      ]),
    );
    expect(config.config?.Env?.some((e) => e.startsWith('WHO='))).toBe(false);
    expect(config.rootfs.diff_ids).toHaveLength(manifest.layers.length);
    // busybox + WORKDIR + 2 COPY + 4 RUN + ADD
    expect(manifest.layers).toHaveLength(9);

    // Imported like `keelson image import` does, and run by the runtime.
    await t.server.runtime.images.importImage(out);
    const r = await runImage('keelson-test/app:1', 'app');
    expect(r.exitCode).toBe(0);
    expect(r.out).toEqual([
      'run saw from-context for keelson',
      'hello keelson',
      '/srv/app',
      '65534',
      'a.conf',
      'group-gone',
      'new.html',
      'extracted by ADD',
    ]);
    expect(buildLeftovers()).toEqual({ netns: [], mounts: [], cgroups: [] });
  }, 120000);

  test('multi-stage: FROM scratch with COPY --from a build stage', async () => {
    const ctx = context(scratch, 'multi', {
      Containerfile: [
        'FROM busybox AS build',
        // Loopback works inside RUN (busybox httpd serves its index page on 127.0.0.1).
        'RUN mkdir /out && echo "made in stage build" > /out/result && httpd -p 127.0.0.1:8080 -h /var/www && wget -qO- http://127.0.0.1:8080/ >> /out/result',
        'FROM busybox AS unused',
        'RUN exit 1',
        'FROM scratch',
        'COPY --from=build /bin/busybox /bin/busybox',
        'COPY --from=build /out/result /result',
        'ENTRYPOINT ["/bin/busybox"]',
        'CMD ["cat", "/result"]',
      ].join('\n'),
    });
    const out = join(scratch, 'multi-oci');
    await buildImage(ctx, { tag: 'keelson-test/multi:1', outDir: out, baseImages: [busyboxDir] });
    const { manifest, config } = layoutConfig(out);
    expect(manifest.layers).toHaveLength(2);
    expect(config.config).toMatchObject({ Entrypoint: ['/bin/busybox'], Cmd: ['cat', '/result'] });
    await t.server.runtime.images.importImage(out);
    const r = await runImage('keelson-test/multi:1', 'multi');
    expect(r).toEqual({ exitCode: 0, out: ['made in stage build', 'hello from keelson busybox'] });
  }, 120000);

  test('a failing RUN is a BuildError naming the line, and nothing is left behind', async () => {
    const ctx = context(scratch, 'fail', { Dockerfile: 'FROM busybox\nRUN echo about to fail && exit 3\n' });
    const out = join(scratch, 'fail-oci');
    const err = await buildImage(ctx, { tag: 'fail:1', outDir: out, baseImages: [busyboxDir] }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(BuildError);
    expect(err.message).toMatch(/^Dockerfile:2: RUN .*exit code 3 \(about to fail\)$/);
    expect(existsSync(join(out, 'index.json'))).toBe(false);
    expect(buildLeftovers()).toEqual({ netns: [], mounts: [], cgroups: [] });
    const missing = await buildImage(ctx, { tag: 'fail:1', outDir: out, baseImages: [] }).catch((e) => e);
    expect(missing.message).toBe('Dockerfile:1: FROM busybox: no such image in the local image set');
    const nofile = await buildImage(
      context(scratch, 'nofile', { Dockerfile: 'FROM busybox\nCOPY nothere.txt /\n' }),
      { tag: 'fail:1', outDir: out, baseImages: [busyboxDir] },
    ).catch((e) => e);
    expect(nofile.message).toBe('Dockerfile:2: COPY nothere.txt: not found in the build context');
    // Cancelling kills the running step and cleans up.
    const abort = new AbortController();
    const slow = buildImage(
      context(scratch, 'slow', { Dockerfile: 'FROM busybox\nRUN echo started && sleep 60\n' }),
      {
        tag: 'slow:1',
        outDir: out,
        baseImages: [busyboxDir],
        signal: abort.signal,
        log: (l) => l === '  | started' && abort.abort(),
      },
    ).catch((e) => e);
    expect((await slow).message).toBe('Dockerfile:2: RUN build cancelled');
    expect(buildLeftovers()).toEqual({ netns: [], mounts: [], cgroups: [] });
  }, 120000);
});
