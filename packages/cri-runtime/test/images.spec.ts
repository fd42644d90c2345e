import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { ImageStore } from '../src/images/store';
import { buildBusyboxImage, buildNodeImage } from '../src/images/build';
import { DigestMismatchError } from '../src/errors';
import { ContainerState } from '../src/cri-api';
import {
  containerConfig,
  describeRoot,
  readOr,
  removeBusyboxLayout,
  sandboxConfig,
  startTestRuntime,
  TestRuntime,
  waitFor,
} from './helpers';

const hasTool = (t: string) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Registry {
  port: number;
  dir: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Starts Debian's docker-registry on 127.0.0.1:<free port> with filesystem storage in a temp dir. */
async function startRegistry(htpasswd?: string): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), 'kt-registry-'));
  const port = await freePort();
  const auth = htpasswd ? `auth:\n  htpasswd:\n    realm: keelson-test\n    path: ${htpasswd}\n` : '';
  writeFileSync(
    join(dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`,
  );
  const proc = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
  await waitFor(
    async () => {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/v2/`);
        return r.status === 200 || r.status === 401;
      } catch {
        return false;
      }
    },
    60000,
    'registry to listen',
  );
  return {
    port,
    dir,
    proc,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function skopeoPush(layout: string, dest: string, creds?: string): void {
  const args = [
    'copy',
    '--quiet',
    '--dest-tls-verify=false',
    ...(creds ? ['--dest-creds', creds] : []),
    `oci:${layout}:latest`,
    `docker://${dest}`,
  ];
  const r = spawnSync('skopeo', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`skopeo ${args.join(' ')}: ${r.stderr}`);
}

describeRoot('image store import (OCI layout)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'kt-store-'));
    dirs.push(d);
    return d;
  };

  test('imports a built busybox layout, resolves it by every spelling, removes it', async () => {
    const layout = tmp();
    const built = await buildBusyboxImage(layout);
    const store = new ImageStore(join(tmp(), 'images'));
    await store.init();
    const img = await store.importImage(layout);
    expect(img.id).toBe(built.id);
    expect(img.repoTags).toEqual(['docker.io/library/busybox:latest']);
    for (const ref of [
      'busybox',
      'busybox:latest',
      'docker.io/library/busybox:latest',
      img.id,
      img.id.slice(7, 19),
      `busybox@${built.manifestDigest}`,
    ]) {
      expect((await store.resolve(ref))?.id).toBe(img.id);
    }
    expect(await store.resolve('busybox:1.0')).toBeUndefined();
    const dirsOf = await store.layerDirs(img);
    const tools = [...readdirSync(join(dirsOf[0], 'bin')), ...readdirSync(join(dirsOf[0], 'usr/bin'))];
    expect(tools).toEqual(
      expect.arrayContaining([
        'busybox',
        'sh',
        'sleep',
        'wget',
        'nslookup',
        'hostname',
        'cat',
        'ls',
        'echo',
        'nc',
      ]),
    );
    expect(readdirSync(join(dirsOf[0], 'usr/sbin'))).toContain('httpd');
    expect(await store.remove('busybox')).toBe(true);
    expect(await store.list()).toEqual([]);
    expect(readdirSync(join(store.dir, 'blobs/sha256'))).toEqual([]);
    expect(await store.remove('busybox')).toBe(false);
  });

  test('an OCI archive (tar of a layout) imports too, under the given name', async () => {
    const layout = tmp();
    await buildBusyboxImage(layout);
    const archive = join(tmp(), 'bb.tar');
    spawnSync('tar', ['-cf', archive, '-C', layout, '.']);
    const store = new ImageStore(join(tmp(), 'images'));
    await store.init();
    const img = await store.importImage(archive, 'example.com/tools/bb:v1');
    expect(img.repoTags).toEqual(['example.com/tools/bb:v1']);
  });

  test('a corrupted blob is rejected and nothing is tagged', async () => {
    const layout = tmp();
    const built = await buildBusyboxImage(layout);
    const manifest = JSON.parse(
      readFileSync(join(layout, 'blobs/sha256', built.manifestDigest.slice(7)), 'utf8'),
    );
    const layerFile = join(layout, 'blobs/sha256', manifest.layers[0].digest.slice(7));
    const data = readFileSync(layerFile);
    data[100] ^= 0xff;
    writeFileSync(layerFile, data);
    const store = new ImageStore(join(tmp(), 'images'));
    await store.init();
    await expect(store.importImage(layout)).rejects.toBeInstanceOf(DigestMismatchError);
    expect(await store.list()).toEqual([]);
  });

  test('the node image runs node from the host binary', async () => {
    const layout = tmp();
    const built = await buildNodeImage(layout, { ref: 'keelson/node:test' });
    expect(built.ref).toBe('docker.io/keelson/node:test');
    const t = await startTestRuntime();
    try {
      await t.server.runtime.images.importImage(layout);
      const cfg = sandboxConfig(t.root);
      const { podSandboxId } = await t.client.rt('runPodSandbox', { config: cfg });
      const { containerId } = await t.client.rt('createContainer', {
        podSandboxId,
        config: {
          ...containerConfig('node', ['node', '-e', 'console.log("node " + process.version + " " + (1+2))']),
          image: { image: 'keelson/node:test' },
        },
        sandboxConfig: cfg,
      });
      await t.client.rt('startContainer', { containerId });
      const s = await waitFor(async () => {
        const r = await t.client.rt('containerStatus', { containerId });
        return r.status.state === ContainerState.CONTAINER_EXITED ? r.status : undefined;
      });
      expect(s.exitCode).toBe(0);
      expect(readOr(join(cfg.logDirectory, 'node.log'))).toContain(`stdout F node ${process.version} 3`);
    } finally {
      await t.cleanup();
    }
  }, 180000);
});

const canRegistry = hasTool('docker-registry') && hasTool('skopeo');
(canRegistry
  ? describeRoot
  : (n: string) => {
      console.log(`skipped: ${n}: docker-registry/skopeo missing`);
      describe.skip(n, () => undefined);
    })('PullImage from a local docker-registry', () => {
  let t: TestRuntime;
  let reg: Registry;
  let authReg: Registry | undefined;
  let scratch = '';
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'kt-pull-'));
    t = await startTestRuntime();
    reg = await startRegistry();
    skopeoPush(t.busybox.dir, `127.0.0.1:${reg.port}/library/busybox:1.36`);
  }, 180000);
  afterAll(async () => {
    await t?.cleanup();
    await reg?.stop();
    await authReg?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    removeBusyboxLayout();
  });

  test('pulls anonymously, verifies, and the pulled image runs', async () => {
    const ref = `127.0.0.1:${reg.port}/library/busybox:1.36`;
    const { imageRef } = await t.client.img('pullImage', { image: { image: ref } });
    expect(imageRef).toBe(t.busybox.id);
    const st = await t.client.img('imageStatus', { image: { image: ref } });
    expect(st.image.repoTags).toContain(ref);
    expect(st.image.repoDigests).toContain(
      `127.0.0.1:${reg.port}/library/busybox@${t.busybox.manifestDigest}`,
    );
    const cfg = sandboxConfig(t.root);
    const { podSandboxId } = await t.client.rt('runPodSandbox', { config: cfg });
    const { containerId } = await t.client.rt('createContainer', {
      podSandboxId,
      config: { ...containerConfig('pulled', ['echo', 'pulled ok']), image: { image: imageRef } },
      sandboxConfig: cfg,
    });
    await t.client.rt('startContainer', { containerId });
    await waitFor(() => readOr(join(cfg.logDirectory, 'pulled.log')).includes('stdout F pulled ok'));
    await t.client.rt('removePodSandbox', { podSandboxId });
  });

  test('a manifest list resolves to its linux/amd64 image', async () => {
    const manifest = readFileSync(join(t.busybox.dir, 'blobs/sha256', t.busybox.manifestDigest.slice(7)));
    const index = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: t.busybox.manifestDigest,
          size: manifest.length,
          platform: { architecture: 'arm64', os: 'linux' },
        },
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: t.busybox.manifestDigest,
          size: manifest.length,
          platform: { architecture: 'amd64', os: 'linux' },
        },
      ],
    };
    const put = await fetch(`http://127.0.0.1:${reg.port}/v2/library/busybox/manifests/multi`, {
      method: 'PUT',
      headers: { 'content-type': index.mediaType },
      body: JSON.stringify(index),
    });
    expect(put.status).toBe(201);
    const { imageRef } = await t.client.img('pullImage', {
      image: { image: `127.0.0.1:${reg.port}/library/busybox:multi` },
    });
    expect(imageRef).toBe(t.busybox.id);
  });

  test('a missing image is NOT_FOUND', async () => {
    await expect(
      t.client.img('pullImage', { image: { image: `127.0.0.1:${reg.port}/library/nothing:here` } }),
    ).rejects.toMatchObject({
      code: 5,
      details: expect.stringContaining('library/nothing'),
    });
  });

  test('a corrupted blob served by the registry is rejected and nothing is stored', async () => {
    const ref = `127.0.0.1:${reg.port}/library/busybox:1.36`;
    await t.client.img('removeImage', { image: { image: t.busybox.id } });
    expect((await t.client.img('imageStatus', { image: { image: ref } })).image).toBeUndefined();
    const manifest = JSON.parse(
      readFileSync(join(t.busybox.dir, 'blobs/sha256', t.busybox.manifestDigest.slice(7)), 'utf8'),
    );
    const hex = manifest.layers[0].digest.slice(7);
    const data = join(reg.dir, 'data/docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    const bytes = readFileSync(data);
    const orig = Buffer.from(bytes);
    bytes[200] ^= 0xff;
    writeFileSync(data, bytes);
    try {
      await expect(t.client.img('pullImage', { image: { image: ref } })).rejects.toMatchObject({
        code: 15,
        details: expect.stringContaining('digest mismatch'),
      });
      expect((await t.client.img('imageStatus', { image: { image: ref } })).image).toBeUndefined();
      const blobs = join(t.root, 'images/blobs/sha256');
      expect(readdirSync(blobs)).not.toContain(hex);
      expect(readdirSync(join(t.root, 'images/tmp'))).toEqual([]);
    } finally {
      writeFileSync(data, orig);
    }
    expect(statSync(data).size).toBe(orig.length);
  });

  test('bearer token flow: 401 challenge, token from the realm with basic creds, then pull', async () => {
    // A token-auth front for the real registry (Docker token protocol): /v2/* needs
    // "Authorization: Bearer <token>", else 401 with WWW-Authenticate: Bearer realm=...;
    // GET /token?service=...&scope=repository:<name>:pull with Basic creds issues the token.
    const token = 'tok-' + Math.random().toString(36).slice(2);
    const seenScopes: string[] = [];
    const front = createHttpServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/token') {
        const ok = req.headers.authorization === `Basic ${Buffer.from('keelson:s3cret').toString('base64')}`;
        seenScopes.push(`${url.searchParams.get('service')} ${url.searchParams.get('scope')}`);
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
        res.end(ok ? JSON.stringify({ token }) : '{}');
        return;
      }
      if (req.headers.authorization !== `Bearer ${token}`) {
        const port = (front.address() as { port: number }).port;
        res.writeHead(401, {
          'www-authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="keelson-test",scope="repository:library/busybox:pull"`,
        });
        res.end();
        return;
      }
      const headers = { ...req.headers };
      delete headers.authorization;
      const up = httpRequest(
        { host: '127.0.0.1', port: reg.port, path: req.url, method: req.method, headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    try {
      const port = (front.address() as { port: number }).port;
      const ref = `127.0.0.1:${port}/library/busybox:1.36`;
      await expect(t.client.img('pullImage', { image: { image: ref } })).rejects.toMatchObject({ code: 16 });
      const { imageRef } = await t.client.img('pullImage', {
        image: { image: ref },
        auth: { username: 'keelson', password: 's3cret' },
      });
      expect(imageRef).toBe(t.busybox.id);
      expect(seenScopes).toContain('keelson-test repository:library/busybox:pull');
    } finally {
      await new Promise((r) => front.close(r));
    }
  });

  test('basic auth: refused without credentials, pulled with them', async () => {
    if (!hasTool('htpasswd')) return console.log('skipped: htpasswd (apache2-utils) missing');
    const pw = join(scratch, 'htpasswd');
    const h = spawnSync('htpasswd', ['-Bbn', 'keelson', 's3cret'], { encoding: 'utf8' });
    writeFileSync(pw, h.stdout);
    authReg = await startRegistry(pw);
    skopeoPush(t.busybox.dir, `127.0.0.1:${authReg.port}/private/bb:v1`, 'keelson:s3cret');
    const ref = `127.0.0.1:${authReg.port}/private/bb:v1`;
    await expect(t.client.img('pullImage', { image: { image: ref } })).rejects.toMatchObject({
      code: 16,
      details: expect.stringContaining('requires credentials'),
    });
    await expect(
      t.client.img('pullImage', { image: { image: ref }, auth: { username: 'keelson', password: 'wrong' } }),
    ).rejects.toMatchObject({ code: 7 });
    const { imageRef } = await t.client.img('pullImage', {
      image: { image: ref },
      auth: { username: 'keelson', password: 's3cret' },
    });
    expect(imageRef).toBe(t.busybox.id);
  }, 180000);
});
