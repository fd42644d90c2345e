import { credentials, Client } from '@grpc/grpc-js';
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ImageServiceClient, RuntimeServiceClient, PodSandboxConfig, ContainerConfig } from '../src/cri-api';
import * as cri from '../src/cri-api';
import { startCriServer, RunningCriServer, CriServerOptions } from '../src/server';
import { buildBusyboxImage, BuiltImage } from '../src/images/build';
import { removeCgroup } from '../src/cgroups';

/** True when running as root (the tests need namespaces, mounts and cgroups). */
export const isRoot = process.getuid?.() === 0;

/** `describe` that skips with a printed reason when not root. */
export function describeRoot(name: string, fn: () => void): void {
  if (!isRoot) {
    console.log(`skipped: ${name}: needs root`);
    describe.skip(name, fn);
  } else {
    describe(name, fn);
  }
}

let counter = 0;
/** A per-run unique name: `kt-<pid>-<counter>`. */
export function uniqueName(prefix = 'kt'): string {
  return `${prefix}-${process.pid}-${++counter}`;
}

type Unary<Req, Res> = (req: Req, cb: (err: Error | null, res: Res) => void) => unknown;

/** Promisified CRI client: `await c.rt('runPodSandbox', {...})`. */
export class CriTestClient {
  readonly runtime: RuntimeServiceClient;
  readonly image: ImageServiceClient;
  constructor(socket: string) {
    this.runtime = new RuntimeServiceClient(`unix://${socket}`, credentials.createInsecure());
    this.image = new ImageServiceClient(`unix://${socket}`, credentials.createInsecure());
  }
  rt<K extends keyof RuntimeServiceClient>(
    method: K,
    req: Parameters<RuntimeServiceClient[K] & Unary<never, never>>[0] | object,
  ): Promise<any> {
    return call(this.runtime, method as string, req);
  }
  img<K extends keyof ImageServiceClient>(method: K, req: object): Promise<any> {
    return call(this.image, method as string, req);
  }
  close(): void {
    this.runtime.close();
    this.image.close();
  }
}

function call(client: Client, method: string, partial: object): Promise<any> {
  // ts-proto encoders expect complete messages: fill defaults with <Method>Request.fromPartial.
  const type = (cri as unknown as Record<string, { fromPartial(o: object): object }>)[
    `${method[0].toUpperCase()}${method.slice(1)}Request`
  ];
  const req = type ? type.fromPartial(partial) : partial;
  return new Promise((resolve, reject) => {
    (client as unknown as Record<string, Unary<object, unknown>>)[method](req, (err, res) =>
      err ? reject(err) : resolve(res),
    );
  });
}

/** A CRI server on a temp root with its own cgroup root and the busybox image imported. */
export interface TestRuntime {
  root: string;
  server: RunningCriServer;
  client: CriTestClient;
  cgroupRoot: string;
  busybox: BuiltImage;
  /** Stops the server only (containers keep running), for restart tests. */
  restart(): Promise<void>;
  cleanup(): Promise<void>;
}

let imageCache: { dir: string; img: BuiltImage } | undefined;

/** Builds the busybox layout once per test file. */
export async function busyboxLayout(): Promise<BuiltImage> {
  if (!imageCache) {
    const dir = mkdtempSync(join(tmpdir(), 'kt-img-'));
    imageCache = { dir, img: await buildBusyboxImage(dir) };
  }
  return imageCache.img;
}

/** Removes the cached busybox layout (call in afterAll). */
export function removeBusyboxLayout(): void {
  if (imageCache) rmSync(imageCache.dir, { recursive: true, force: true });
  imageCache = undefined;
}

/** Starts a runtime on a fresh root; `cleanup` removes every sandbox, mount, cgroup and file. */
export async function startTestRuntime(extra: Partial<CriServerOptions> = {}): Promise<TestRuntime> {
  const root = mkdtempSync(join(tmpdir(), 'kt-cri-'));
  const cgroupRoot = `/${uniqueName('keelson-test')}`;
  const opts: CriServerOptions = {
    root,
    listen: `unix://${join(root, 'cri.sock')}`,
    ociRuntime: 'runc',
    cgroupRoot,
    ...extra,
  };
  const busybox = await busyboxLayout();
  const t: TestRuntime = {
    root,
    cgroupRoot,
    busybox,
    server: await startCriServer(opts),
    client: undefined as unknown as CriTestClient,
    async restart() {
      t.client.close();
      await t.server.close();
      t.server = await startCriServer(opts);
      t.client = new CriTestClient(t.server.socketPath);
    },
    async cleanup() {
      try {
        const rt = t.server.runtime;
        for (const s of rt.listPodSandbox()) await rt.removePodSandbox(s.id);
      } finally {
        t.client.close();
        await t.server.close();
        const mounts = spawnSync('findmnt', ['-rn', '-o', 'TARGET'])
          .stdout.toString()
          .split('\n')
          .filter((m) => m.startsWith(root));
        for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
        await removeCgroup(cgroupRoot);
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
  t.client = new CriTestClient(t.server.socketPath);
  await t.server.runtime.images.importImage(busybox.dir);
  return t;
}

/** A minimal valid PodSandboxConfig with a unique uid and a log directory under `root`. */
export function sandboxConfig(root: string, name = uniqueName('pod')): PodSandboxConfig {
  return PodSandboxConfig.fromJSON({
    metadata: { name, namespace: 'default', uid: `${name}-uid`, attempt: 0 },
    hostname: name,
    logDirectory: join(root, 'logs', name),
    linux: {},
  });
}

/** A ContainerConfig running `args` in busybox, logging to `<name>.log`. */
export function containerConfig(
  name: string,
  args: string[],
  more: Partial<ContainerConfig> = {},
): ContainerConfig {
  return {
    ...ContainerConfig.fromJSON({
      metadata: { name, attempt: 0 },
      image: { image: 'busybox' },
      command: args,
      logPath: `${name}.log`,
    }),
    ...more,
  };
}

/** Polls `fn` until it returns a truthy value or `ms` pass. */
export async function waitFor<T>(fn: () => Promise<T> | T, ms = 60000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Reads a file or returns ''. */
export function readOr(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}
