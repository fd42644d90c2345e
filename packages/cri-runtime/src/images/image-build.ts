/**
 * `docker build` for keelson: builds an OCI image layout from a directory holding a Dockerfile
 * (or Containerfile). The Dockerfile is planned by {@link planDockerfile}; every file-changing
 * step runs on an overlayfs of the layers so far with a fresh upper directory, and that upper
 * directory (overlay whiteouts converted to OCI `.wh.` files) becomes the step's layer:
 * COPY/ADD copy into the mounted root, WORKDIR creates its directory, RUN executes the command
 * with runc (or crun) in new PID, mount, IPC, UTS namespaces and a network namespace with only
 * loopback (up), default Docker capabilities, its own cgroup.
 */
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import {
  chmod,
  copyFile,
  cp,
  lchown,
  lstat,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  readlink,
  rm,
  rmdir,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve as resolveHost } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import dockerignore from '@balena/dockerignore';
import { globSync } from 'tinyglobby';
import { run, runOk } from '../exec';
import { BuildError } from '../errors';
import { removeCgroup } from '../cgroups';
import { DEFAULT_CAPABILITIES, ociResources } from '../oci/spec';
import type { OciRuntimeName } from '../oci/runtime';
import type { BuiltImage } from './build';
import { sha256, sha256File } from './digest';
import {
  CONTAINERD_NAME_ANNOTATION,
  Descriptor,
  ImageConfig,
  ImageIndex,
  ImageManifest,
  MediaTypes,
  REF_NAME_ANNOTATION,
} from './oci-types';
import { formatReference, parseReference } from './reference';
import { ImageStore, pickPlatform } from './store';
import {
  BuildPlan,
  BuildSource,
  CopyStep,
  ImageRuntimeConfig,
  planDockerfile,
  resolvePath,
  RunStep,
  StagePlan,
} from './dockerfile-plan';

/** Options of {@link buildImage}. */
export interface ImageBuildOptions {
  /** Reference to record, e.g. `myapp:1.0` (normalized: `docker.io/library/myapp:1.0`). */
  tag: string;
  /** Dockerfile path (default `<context>/Dockerfile`, else `<context>/Containerfile`). */
  dockerfile?: string;
  /** OCI image layout directory to write (created; an existing layout there is replaced). */
  outDir: string;
  /** `--build-arg` values by name. */
  buildArgs?: Record<string, string>;
  /**
   * OCI image layout directories searched for the images FROM and `COPY --from` name (matched by
   * their `io.containerd.image.name` / `org.opencontainers.image.ref.name` annotations), e.g.
   * the cluster's images/ subdirectories. A runtime image store directory works too.
   */
  baseImages?: string[];
  /** OCI runtime for RUN steps (default runc). */
  ociRuntime?: OciRuntimeName;
  /** Parent of the temporary build directory (default the OS temp dir). */
  workDir?: string;
  /** Progress and RUN output, one line per call (default: none). */
  log?: (line: string) => void;
  /** Kills a RUN step after this many milliseconds (default no limit). */
  runTimeoutMs?: number;
  /** Aborts the build (e.g. on Ctrl-C): a running RUN is killed, everything is cleaned up, the promise rejects. */
  signal?: AbortSignal;
}

interface BaseEntry {
  dir: string;
  descriptor: Descriptor;
}

interface StageState {
  layers: Descriptor[];
  diffIds: string[];
  history: NonNullable<ImageConfig['history']>;
  config: ImageRuntimeConfig;
}

/** Per-process counter for unique container ids and cgroups of RUN steps. */
let runCounter = 0;

/**
 * Builds `contextDir` into an OCI image layout at `opts.outDir`, shaped like the layouts of
 * {@link buildBusyboxImage} (one manifest, named by `org.opencontainers.image.ref.name` = tag
 * and `io.containerd.image.name` = full reference), so `ImageStore.importImage`,
 * `keelson image import`, `skopeo` and `ctr images import` accept it. Base image layers are
 * reused as they are; each new layer is a gzip tar. Only the stages the last stage needs are
 * built. Needs root (mounts, namespaces, cgroups). Leaves no mount, container or cgroup behind,
 * failure included.
 * @returns the layout written.
 * @throws BuildError for a Dockerfile error (`Dockerfile:<line>: ...`), a missing base image or
 *   context file, or a RUN step that exits non-zero (`Dockerfile:<line>: RUN ...: exit code N`).
 */
export async function buildImage(contextDir: string, opts: ImageBuildOptions): Promise<BuiltImage> {
  const log = opts.log ?? (() => undefined);
  const context = resolveHost(contextDir);
  const st = await stat(context).catch(() => undefined);
  if (!st?.isDirectory()) throw new BuildError(`build context ${contextDir} is not a directory`);
  let dockerfile = opts.dockerfile;
  if (!dockerfile) {
    dockerfile = [join(context, 'Dockerfile'), join(context, 'Containerfile')].find((f) => existsSync(f));
    if (!dockerfile) throw new BuildError(`no Dockerfile or Containerfile in ${contextDir} (pass -f FILE)`);
  } else if (!existsSync(dockerfile)) throw new BuildError(`Dockerfile ${dockerfile} does not exist`);
  let fullRef: string;
  try {
    fullRef = formatReference(parseReference(opts.tag));
  } catch (e) {
    throw new BuildError(`invalid tag "${opts.tag}": ${(e as Error).message}`);
  }

  const bases = indexBaseImages(opts.baseImages ?? []);
  const configCache = new Map<string, ImageConfig>();
  const baseImage = (ref: string): { entry: BaseEntry; config: ImageConfig } | undefined => {
    let full: string;
    try {
      full = formatReference(parseReference(ref));
    } catch {
      return undefined;
    }
    const entry = bases.get(full);
    if (!entry) return undefined;
    let config = configCache.get(full);
    if (!config) {
      const blob = (d: string) => readFileSync(join(entry.dir, 'blobs', 'sha256', d.slice(7)), 'utf8');
      let manifest = JSON.parse(blob(entry.descriptor.digest)) as ImageManifest & Partial<ImageIndex>;
      // A multi-platform image (index / manifest list): the linux/amd64 manifest, as import picks.
      if (manifest.manifests) manifest = JSON.parse(blob(pickPlatform(manifest.manifests, full).digest));
      if (!manifest.config) throw new BuildError(`image ${full} in ${entry.dir}: not an image manifest`);
      config = JSON.parse(blob(manifest.config.digest)) as ImageConfig;
      configCache.set(full, config);
    }
    return { entry, config };
  };

  const plan: BuildPlan = planDockerfile(await readFile(dockerfile, 'utf8'), {
    buildArgs: opts.buildArgs,
    baseConfig: (ref) => {
      const b = baseImage(ref);
      return b ? (b.config.config ?? {}) : undefined;
    },
    file: basename(dockerfile),
  });
  for (const a of plan.unusedBuildArgs) log(`[warning] build-arg ${a} was not consumed by any ARG`);
  const ignore = await loadDockerignore(context);

  const work = await mkdtemp(join(opts.workDir ?? tmpdir(), 'keelson-build-'));
  const store = new ImageStore(join(work, 'store'));
  await store.init();
  const b = new Builder(
    store,
    work,
    opts.ociRuntime ?? 'runc',
    log,
    opts.runTimeoutMs,
    basename(dockerfile),
    opts.signal,
  );
  try {
    const states = new Map<number, StageState>();
    const imageState = async (ref: string): Promise<StageState> => {
      const base = baseImage(ref)!;
      const img = await store.importImage(base.entry.dir, formatReference(parseReference(ref)));
      return {
        layers: [...img.manifest.layers],
        diffIds: [...img.config.rootfs.diff_ids],
        history: [...(img.config.history ?? [])],
        config: img.config.config ?? {},
      };
    };
    const sourceState = async (src: BuildSource): Promise<StageState> => {
      if (src.kind === 'stage') return states.get(src.index)!;
      if (src.kind === 'image') return imageState(src.ref);
      return { layers: [], diffIds: [], history: [], config: {} };
    };
    const needed = neededStages(plan);
    for (const stage of plan.stages) {
      if (!needed.has(stage.index)) continue;
      log(`[stage ${stage.index}${stage.name ? ` ${stage.name}` : ''}] FROM ${describe(stage.base, plan)}`);
      const base = await sourceState(stage.base);
      const state: StageState = {
        layers: [...base.layers],
        diffIds: [...base.diffIds],
        history: [...base.history],
        config: stage.config,
      };
      await b.runStage(stage, state, context, ignore, sourceState);
      states.set(stage.index, state);
    }
    const last = states.get(plan.stages.length - 1)!;
    const built = await writeLayout(store, opts.outDir, fullRef, last);
    log(`built ${fullRef} (${built.id.slice(7, 19)}, ${last.layers.length} layers)`);
    return built;
  } finally {
    await b.cleanup();
    await rm(work, { recursive: true, force: true });
  }
}

function describe(src: BuildSource, plan: BuildPlan): string {
  if (src.kind === 'image') return src.ref;
  if (src.kind === 'scratch') return 'scratch';
  return plan.stages[src.index].name ?? String(src.index);
}

/** The stages the last one depends on (its base chain and COPY --from sources). */
function neededStages(plan: BuildPlan): Set<number> {
  const need = new Set<number>();
  const visit = (i: number) => {
    if (need.has(i)) return;
    need.add(i);
    const s = plan.stages[i];
    if (s.base.kind === 'stage') visit(s.base.index);
    for (const step of s.steps)
      if (step.kind === 'copy' && step.from?.kind === 'stage') visit(step.from.index);
  };
  visit(plan.stages.length - 1);
  return need;
}

/** Maps full references to the layout (or image store) holding them. */
function indexBaseImages(dirs: string[]): Map<string, BaseEntry> {
  const out = new Map<string, BaseEntry>();
  for (const dir of dirs) {
    let index: ImageIndex;
    try {
      index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as ImageIndex;
    } catch {
      continue;
    }
    for (const m of index.manifests ?? []) {
      for (const n of [m.annotations?.[CONTAINERD_NAME_ANNOTATION], m.annotations?.[REF_NAME_ANNOTATION]]) {
        if (!n || !n.includes(':') || out.has(n)) continue;
        try {
          out.set(formatReference(parseReference(n)), { dir, descriptor: m });
        } catch {
          /* a bare tag such as "latest" names nothing on its own */
        }
      }
    }
  }
  return out;
}

async function loadDockerignore(context: string): Promise<((rel: string) => boolean) | undefined> {
  const f = join(context, '.dockerignore');
  if (!existsSync(f)) return undefined;
  const ig = dockerignore({ ignorecase: false }).add(await readFile(f, 'utf8'));
  return (rel: string) => rel !== '' && ig.ignores(rel);
}

/** Executes the steps of stages; keeps track of what to clean up. */
class Builder {
  private n = 0;
  private readonly mounts = new Set<string>();
  private netns?: string;

  constructor(
    private readonly store: ImageStore,
    private readonly work: string,
    private readonly runtime: OciRuntimeName,
    private readonly log: (line: string) => void,
    private readonly timeoutMs: number | undefined,
    private readonly file: string,
    private readonly signal?: AbortSignal,
  ) {}

  private checkAborted(): void {
    if (this.signal?.aborted) throw new BuildError('build cancelled');
  }

  async runStage(
    stage: StagePlan,
    state: StageState,
    context: string,
    ignore: ((rel: string) => boolean) | undefined,
    sourceState: (src: BuildSource) => Promise<StageState>,
  ): Promise<void> {
    const created = new Date().toISOString();
    for (const step of stage.steps) {
      this.checkAborted();
      const prefix = `[stage ${stage.index}] ${this.file}:${step.line}`;
      if (step.kind === 'config') {
        state.history.push({ created, created_by: step.createdBy, empty_layer: true });
        continue;
      }
      this.log(`${prefix}: ${step.createdBy}`);
      const changed = await this.layerStep(state, async (root) => {
        if (step.kind === 'workdir') {
          await mkdirIn(root, step.path);
        } else if (step.kind === 'copy') {
          if (step.from) {
            const from = await sourceState(step.from);
            await this.withRoot(from.layers, (fromRoot) =>
              copyStep(step, fromRoot, root, undefined, this.file),
            );
          } else {
            await copyStep(step, context, root, ignore, this.file);
          }
        } else {
          await this.runStep(step, root);
        }
      });
      state.history.push(
        changed
          ? { created, created_by: step.createdBy }
          : { created, created_by: step.createdBy, empty_layer: true },
      );
    }
  }

  /** Mounts the layers with a fresh upper dir, runs `fn` on the root, commits the upper dir as a layer. */
  private async layerStep(state: StageState, fn: (root: string) => Promise<void>): Promise<boolean> {
    const dir = join(this.work, `step-${++this.n}`);
    const root = join(dir, 'rootfs');
    const upper = join(dir, 'upper');
    await this.mount(state.layers, dir);
    try {
      await fn(root);
    } finally {
      await this.unmount(root);
    }
    const layer = await this.commit(upper, dir);
    await rm(dir, { recursive: true, force: true });
    if (!layer) return false;
    state.layers.push(layer.descriptor);
    state.diffIds.push(layer.diffId);
    return true;
  }

  /** Runs `fn` on a throwaway writable view of the layers (for COPY --from). */
  private async withRoot<T>(layers: Descriptor[], fn: (root: string) => Promise<T>): Promise<T> {
    const dir = join(this.work, `view-${++this.n}`);
    await this.mount(layers, dir);
    try {
      return await fn(join(dir, 'rootfs'));
    } finally {
      await this.unmount(join(dir, 'rootfs'));
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async mount(layers: Descriptor[], dir: string): Promise<void> {
    for (const d of ['rootfs', 'upper', 'work']) await mkdir(join(dir, d), { recursive: true });
    const layersDir = join(this.store.dir, 'layers');
    const lower: string[] = [];
    for (const l of layers) lower.push(relative(layersDir, await this.store.unpackLayer(l)));
    // An empty (scratch) stage still needs one lower dir.
    if (lower.length === 0) {
      await mkdir(join(layersDir, 'empty'), { recursive: true });
      lower.push('empty');
    }
    // Relative lower dirs (resolved against cwd) keep the mount data under a page for deep images.
    const o = `lowerdir=${lower.reverse().join(':')},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')},index=off,redirect_dir=off,metacopy=off`;
    const m = await run('mount', ['-t', 'overlay', 'overlay', '-o', o, join(dir, 'rootfs')], {
      cwd: layersDir,
    });
    if (m.code !== 0) throw new BuildError(`overlay mount failed: ${m.stderr.toString().trim()}`);
    this.mounts.add(join(dir, 'rootfs'));
  }

  private async unmount(root: string): Promise<void> {
    const r = await run('umount', [root]);
    if (r.code !== 0) await run('umount', ['-l', root]);
    this.mounts.delete(root);
  }

  /** Converts the upper dir to an OCI layer blob in the store; undefined when nothing changed. */
  private async commit(
    upper: string,
    dir: string,
  ): Promise<{ descriptor: Descriptor; diffId: string } | undefined> {
    if ((await readdir(upper)).length === 0) return undefined;
    await overlayToOci(upper);
    const tar = join(dir, 'layer.tar');
    await runOk('tar', [
      '--sort=name',
      '--numeric-owner',
      '--format=posix',
      '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
      '-C',
      upper,
      '-cf',
      tar,
      '.',
    ]);
    const diffId = await sha256File(tar);
    const gz = join(dir, 'layer.tar.gz');
    await pipeline(createReadStream(tar), createGzip({ level: 6 }), createWriteStream(gz));
    const digest = await sha256File(gz);
    const size = (await stat(gz)).size;
    await this.store.putBlobFile(digest, gz, size);
    const descriptor: Descriptor = { mediaType: MediaTypes.ociLayerGzip, digest, size };
    await this.store.unpackLayer(descriptor);
    return { descriptor, diffId };
  }

  /** RUN: the command in a runc container whose root is the mounted overlay. */
  private async runStep(step: RunStep, root: string): Promise<void> {
    const id = `keelson-build-${process.pid}-${++runCounter}`;
    const cgroup = `/${id}`;
    const bundle = join(this.work, id);
    await mkdir(bundle, { recursive: true });
    // Mount points runc creates in the root when missing must not end up in the layer.
    const mountPoints = ['proc', 'dev', 'sys'];
    const missing = mountPoints.filter((p) => !existsSync(join(root, p)));
    const user = await resolveUser(root, step.user, `${this.file}:${step.line}`);
    await mkdirIn(root, step.workdir);
    const env = step.env.some((e) => e.startsWith('PATH='))
      ? step.env
      : ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...step.env];
    const spec = {
      ociVersion: '1.0.2',
      process: {
        terminal: false,
        user,
        args: step.args,
        env,
        cwd: step.workdir,
        capabilities: {
          bounding: DEFAULT_CAPABILITIES,
          effective: DEFAULT_CAPABILITIES,
          permitted: DEFAULT_CAPABILITIES,
          ambient: [],
        },
        noNewPrivileges: false,
      },
      root: { path: root, readonly: false },
      hostname: 'keelson-build',
      mounts: [
        { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
        {
          destination: '/dev',
          type: 'tmpfs',
          source: 'tmpfs',
          options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
        },
        {
          destination: '/dev/pts',
          type: 'devpts',
          source: 'devpts',
          options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'],
        },
        {
          destination: '/dev/shm',
          type: 'tmpfs',
          source: 'shm',
          options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
        },
        { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      ],
      linux: {
        namespaces: [
          { type: 'pid' },
          { type: 'mount' },
          { type: 'network', path: await this.loopbackNetns() },
          { type: 'ipc' },
          { type: 'uts' },
        ],
        cgroupsPath: cgroup,
        resources: { devices: ociResources(undefined).devices },
        maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/sys/firmware'],
        readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
      },
    };
    await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
    const stateRoot = join(this.work, 'runc');
    try {
      const { code, signal, tail } = await this.spawnLogged(
        this.runtime,
        ['--root', stateRoot, 'run', '--bundle', bundle, id],
        step.line,
        // The container holds runc's output pipes: kill it, not only runc, to end the step.
        () => void run(this.runtime, ['--root', stateRoot, 'delete', '--force', id]).catch(() => undefined),
      );
      if (code !== 0) {
        const why = signal ? `killed by ${signal}` : `exit code ${code}`;
        throw new BuildError(
          `${this.file}:${step.line}: ${step.createdBy.slice(0, 120)}: ${why}${tail ? ` (${tail})` : ''}`,
        );
      }
    } finally {
      await run(this.runtime, ['--root', stateRoot, 'delete', '--force', id]).catch(() => undefined);
      await removeCgroup(cgroup);
      await rm(bundle, { recursive: true, force: true });
    }
    for (const p of missing) await rmdir(join(root, p)).catch(() => undefined);
  }

  private spawnLogged(
    cmd: string,
    args: string[],
    line: number,
    kill: () => void,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null; tail: string }> {
    this.checkAborted();
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let timer: NodeJS.Timeout | undefined;
      let killed = false;
      const onAbort = () => {
        killed = true;
        child.kill('SIGKILL');
        kill();
      };
      if (this.timeoutMs) timer = setTimeout(onAbort, this.timeoutMs);
      this.signal?.addEventListener('abort', onAbort, { once: true });
      child.on('close', () => this.signal?.removeEventListener('abort', onAbort));
      const last: string[] = [];
      const relay = (stream: NodeJS.ReadableStream) => {
        let buf = '';
        stream.setEncoding?.('utf8');
        stream.on('data', (d: string) => {
          buf += d;
          const parts = buf.split('\n');
          buf = parts.pop() ?? '';
          for (const p of parts) {
            this.log(`  | ${p}`);
            last.push(p);
            if (last.length > 3) last.shift();
          }
        });
        stream.on('end', () => {
          if (buf) {
            this.log(`  | ${buf}`);
            last.push(buf);
          }
        });
      };
      relay(child.stdout);
      relay(child.stderr);
      child.on('error', (e) => {
        if (timer) clearTimeout(timer);
        reject(new BuildError(`${this.file}:${line}: cannot start ${cmd}: ${e.message}`));
      });
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        if (killed) {
          const why = this.signal?.aborted ? 'build cancelled' : `timed out after ${this.timeoutMs} ms`;
          reject(new BuildError(`${this.file}:${line}: RUN ${why}`));
        } else resolve({ code, signal, tail: last.slice(-3).join(' | ') });
      });
    });
  }

  /**
   * The build's network namespace (`ip netns` name `keelson-build-<pid>-<n>`, made at the first
   * RUN, shared by the build's RUN steps, removed by {@link cleanup}): loopback up, nothing else.
   */
  private async loopbackNetns(): Promise<string> {
    if (!this.netns) {
      const name = `keelson-build-${process.pid}-${++runCounter}`;
      const add = await run('ip', ['netns', 'add', name]);
      if (add.code !== 0) throw new BuildError(`ip netns add ${name}: ${add.stderr.toString().trim()}`);
      this.netns = name;
      await runOk('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    }
    return `/var/run/netns/${this.netns}`;
  }

  /** Unmounts anything a failed step left mounted and removes the network namespace. */
  async cleanup(): Promise<void> {
    for (const m of [...this.mounts]) await this.unmount(m);
    if (this.netns) await run('ip', ['netns', 'delete', this.netns]);
    this.netns = undefined;
  }
}

/** Resolves `user[:group]` to numeric ids through the root's /etc/passwd and /etc/group. */
async function resolveUser(root: string, spec: string, where: string): Promise<{ uid: number; gid: number }> {
  if (!spec) return { uid: 0, gid: 0 };
  const [u, g] = spec.split(':');
  const table = async (file: string): Promise<string[][]> => {
    const p = await secureJoin(root, file);
    try {
      return (await readFile(p, 'utf8')).split('\n').map((l) => l.split(':'));
    } catch {
      return [];
    }
  };
  let uid: number;
  let gid = 0;
  if (/^\d+$/.test(u)) {
    uid = Number(u);
    const hit = (await table('/etc/passwd')).find((f) => f[2] === u);
    if (hit) gid = Number(hit[3]);
  } else {
    const hit = (await table('/etc/passwd')).find((f) => f[0] === u);
    if (!hit) throw new BuildError(`${where}: user "${u}" not found in the image's /etc/passwd`);
    uid = Number(hit[2]);
    gid = Number(hit[3]);
  }
  if (g !== undefined && g !== '') {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const hit = (await table('/etc/group')).find((f) => f[0] === g);
      if (!hit) throw new BuildError(`${where}: group "${g}" not found in the image's /etc/group`);
      gid = Number(hit[2]);
    }
  }
  return { uid, gid };
}

/**
 * The host path of `path` inside `root`, following symlinks as if `root` were `/` (an image
 * symlink to `/etc` stays inside the image), like Docker's securejoin.
 */
async function secureJoin(root: string, path: string): Promise<string> {
  const parts = resolvePath('/', path).split('/').filter(Boolean);
  let cur = '/';
  for (let i = 0, hops = 0; i < parts.length; i++) {
    const next = resolvePath(cur, parts[i]);
    const st = await lstat(join(root, next)).catch(() => undefined);
    if (st?.isSymbolicLink() && hops++ < 40) {
      const target = await readlink(join(root, next));
      const rest = parts.slice(i + 1);
      parts.splice(
        0,
        parts.length,
        ...resolvePath(target.startsWith('/') ? '/' : cur, target)
          .split('/')
          .filter(Boolean),
        ...rest,
      );
      cur = '/';
      i = -1;
      continue;
    }
    cur = next;
  }
  return join(root, cur);
}

async function mkdirIn(root: string, path: string): Promise<void> {
  await mkdir(await secureJoin(root, path), { recursive: true });
}

const hasGlob = (s: string) => /[*?[]/.test(s);

/** COPY/ADD: sources from `srcRoot` (the context or another stage's root) into the image root. */
async function copyStep(
  step: CopyStep,
  srcRoot: string,
  root: string,
  ignore: ((rel: string) => boolean) | undefined,
  file: string,
): Promise<void> {
  const where = `${file}:${step.line}`;
  const what = step.add ? 'ADD' : 'COPY';
  const fromContext = !step.from;
  const sources: string[] = [];
  for (const src of step.sources) {
    const rel = resolvePath('/', src).slice(1);
    if (hasGlob(src)) {
      const hits = globSync(rel, { cwd: srcRoot, dot: true, onlyFiles: false, expandDirectories: false })
        .map((h) => h.replace(/\/$/, ''))
        .filter((h) => !(fromContext && ignore?.(h)))
        .sort();
      if (hits.length === 0) throw new BuildError(`${where}: ${what} ${src}: no source files match`);
      sources.push(...hits);
    } else {
      const host = fromContext ? join(srcRoot, rel) : await secureJoin(srcRoot, rel);
      if (!existsSync(host) || (fromContext && ignore?.(rel)))
        throw new BuildError(
          `${where}: ${what} ${src}: not found ${fromContext ? 'in the build context' : 'in the source stage'}${fromContext && ignore?.(rel) ? ' (excluded by .dockerignore)' : ''}`,
        );
      sources.push(rel);
    }
  }
  const destPath = resolvePath(step.workdir, step.dest);
  const destHost = await secureJoin(root, destPath);
  const destIsDir =
    step.dest.endsWith('/') || step.dest === '.' || sources.length > 1 || (await isDir(destHost));
  const owner = step.chown ? await resolveUser(root, step.chown, where) : undefined;
  const copied: string[] = [];
  for (const rel of sources) {
    const host = fromContext ? join(srcRoot, rel) : await secureJoin(srcRoot, rel);
    const st = await stat(host);
    if (st.isDirectory()) {
      await mkdir(destHost, { recursive: true });
      await cp(host, destHost, {
        recursive: true,
        force: true,
        verbatimSymlinks: true,
        preserveTimestamps: true,
        filter: (s) => !fromContext || !ignore?.(relative(srcRoot, s)),
      });
      copied.push(...(await readdir(host)).map((n) => join(destHost, n)).filter((p) => existsSync(p)));
    } else if (step.add && fromContext && (await isArchive(host))) {
      await mkdir(destHost, { recursive: true });
      await runOk('tar', ['-xf', host, '-C', destHost, '--no-same-owner']);
    } else {
      const target = destIsDir ? join(destHost, basename(rel)) : destHost;
      await mkdir(dirname(target), { recursive: true });
      await rm(target, { force: true, recursive: false }).catch(() => undefined);
      await copyFile(host, target);
      await chmod(target, st.mode & 0o7777);
      copied.push(target);
    }
  }
  if (owner || step.chmod !== undefined) {
    for (const p of copied) {
      await walk(p, async (f, isLink) => {
        if (owner) await lchown(f, owner.uid, owner.gid);
        if (step.chmod !== undefined && !isLink) await chmod(f, step.chmod);
      });
    }
  }
}

async function walk(p: string, fn: (path: string, isLink: boolean) => Promise<void>): Promise<void> {
  const st = await lstat(p);
  await fn(p, st.isSymbolicLink());
  if (st.isDirectory()) for (const n of await readdir(p)) await walk(join(p, n), fn);
}

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

/** tar, gzip, bzip2 or xz by magic bytes: what ADD extracts (Dockerfile reference, ADD). */
async function isArchive(p: string): Promise<boolean> {
  const fh = await open(p, 'r');
  try {
    const b = Buffer.alloc(262);
    const { bytesRead } = await fh.read(b, 0, 262, 0);
    const h = b.subarray(0, bytesRead);
    return (
      (h[0] === 0x1f && h[1] === 0x8b) ||
      h.subarray(0, 3).toString('latin1') === 'BZh' ||
      h.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) ||
      h.subarray(257, 262).toString('latin1') === 'ustar'
    );
  } finally {
    await fh.close();
  }
}

/**
 * Rewrites an overlayfs upper dir into OCI layer form (image-spec layer.md): a 0/0 character
 * device (deleted file) becomes an empty `.wh.<name>`, an opaque directory
 * (`trusted.overlay.opaque=y`) gets a `.wh..wh..opq` entry.
 */
async function overlayToOci(upper: string): Promise<void> {
  const opaque = new Set<string>();
  const r = await run('getfattr', ['--absolute-names', '-R', '-P', '-n', 'trusted.overlay.opaque', upper]);
  let file = '';
  for (const line of r.stdout.toString().split('\n')) {
    if (line.startsWith('# file: ')) file = line.slice(8);
    else if (/^trusted\.overlay\.opaque="y"/.test(line)) opaque.add(file);
  }
  const visit = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isCharacterDevice()) {
        const st = await lstat(p);
        if (st.rdev === 0) {
          await unlink(p);
          await writeFile(join(dir, `.wh.${e.name}`), '');
        }
      } else if (e.isDirectory()) {
        await visit(p);
      }
    }
  };
  await visit(upper);
  for (const d of opaque) {
    await run('setfattr', ['-x', 'trusted.overlay.opaque', d]);
    await writeFile(join(d, '.wh..wh..opq'), '');
  }
}

/** Writes the final layout: base and new layer blobs from the store, config, manifest, index. */
async function writeLayout(
  store: ImageStore,
  outDir: string,
  ref: string,
  state: StageState,
): Promise<BuiltImage> {
  const config: ImageConfig = {
    architecture: 'amd64',
    os: 'linux',
    created: new Date().toISOString(),
    config: state.config,
    rootfs: { type: 'layers', diff_ids: state.diffIds },
    history: state.history,
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDesc: Descriptor = {
    mediaType: MediaTypes.ociConfig,
    digest: sha256(configBytes),
    size: configBytes.length,
  };
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config: configDesc,
    layers: state.layers,
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const manifestDigest = sha256(manifestBytes);
  await rm(outDir, { recursive: true, force: true });
  const blobs = join(outDir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  for (const l of state.layers) await copyFile(store.blobPath(l.digest), join(blobs, l.digest.slice(7)));
  await writeFile(join(blobs, configDesc.digest.slice(7)), configBytes);
  await writeFile(join(blobs, manifestDigest.slice(7)), manifestBytes);
  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociIndex,
    manifests: [
      {
        mediaType: MediaTypes.ociManifest,
        digest: manifestDigest,
        size: manifestBytes.length,
        platform: { architecture: 'amd64', os: 'linux' },
        annotations: {
          [REF_NAME_ANNOTATION]: parseReference(ref).tag ?? 'latest',
          [CONTAINERD_NAME_ANNOTATION]: ref,
        },
      },
    ],
  };
  await writeFile(join(outDir, 'index.json'), JSON.stringify(index));
  await writeFile(join(outDir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  return { dir: outDir, ref, manifestDigest, id: configDesc.digest };
}
