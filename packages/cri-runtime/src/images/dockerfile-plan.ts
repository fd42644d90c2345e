/**
 * Dockerfile → build plan: parses a Dockerfile with `dockerfile-ast` and translates it into the
 * steps {@link buildImage} executes (RUN, COPY/ADD, WORKDIR) and the OCI image config each stage
 * ends with. Pure: no file system access; base images are looked up through a callback.
 * Semantics follow the Dockerfile reference (docs.docker.com/reference/dockerfile): variable
 * substitution, ARG scoping and --build-arg, ENTRYPOINT resetting an inherited CMD, shell form
 * through SHELL (default `/bin/sh -c`).
 */
import { DockerfileParser, Instruction, Property } from 'dockerfile-ast';
import type { Argument, Flag } from 'dockerfile-ast';
import type { ImageConfig } from './oci-types';
import { BuildError } from '../errors';

/** The `config` object of an OCI image configuration (image-spec config.md). */
export type ImageRuntimeConfig = NonNullable<ImageConfig['config']>;

/** Where a stage or a `COPY --from` takes its files. */
export type BuildSource =
  { kind: 'scratch' } | { kind: 'stage'; index: number } | { kind: 'image'; ref: string };

/** RUN: a command executed in a container on the stage's layers; its file changes become a layer. */
export interface RunStep {
  kind: 'run';
  /** 1-based Dockerfile line. */
  line: number;
  /** argv: exec form as written, shell form as SHELL + the command (default `/bin/sh -c`). */
  args: string[];
  /** `KEY=value` environment: the image Env plus the ARGs in scope. */
  env: string[];
  /** USER in effect (`uid`, `uid:gid`, `name`, `name:group`); empty for root. */
  user: string;
  /** Absolute working directory. */
  workdir: string;
  /** The image history's `created_by`. */
  createdBy: string;
}

/** COPY or ADD of files from the build context, another stage or an image. */
export interface CopyStep {
  kind: 'copy';
  line: number;
  /** ADD (local tar archives are extracted) rather than COPY. */
  add: boolean;
  /** Source paths relative to the context (or to the root of `from`); may hold wildcards. */
  sources: string[];
  /** Destination as written, resolved against `workdir` when relative. A trailing `/` means a directory. */
  dest: string;
  workdir: string;
  /** `--from`: a stage or an image instead of the build context. */
  from?: BuildSource;
  /** `--chown=user[:group]`. */
  chown?: string;
  /** `--chmod=<octal>`. */
  chmod?: number;
  createdBy: string;
}

/** WORKDIR: the directory is created (owned by root, mode 0755) if the image does not have it. */
export interface WorkdirStep {
  kind: 'workdir';
  line: number;
  path: string;
  createdBy: string;
}

/** An instruction that changes only the image config (ENV, CMD, ...): an empty-layer history entry. */
export interface ConfigStep {
  kind: 'config';
  line: number;
  createdBy: string;
}

/** One step of a stage. */
export type BuildStep = RunStep | CopyStep | WorkdirStep | ConfigStep;

/** One `FROM` stage. */
export interface StagePlan {
  index: number;
  /** `AS <name>` (lower case), if given. */
  name?: string;
  line: number;
  base: BuildSource;
  steps: BuildStep[];
  /** The image config when the stage ends. */
  config: ImageRuntimeConfig;
}

/** What {@link planDockerfile} returns; the last stage is the image built. */
export interface BuildPlan {
  stages: StagePlan[];
  /** `--build-arg` names that no ARG declared (Docker warns about them). */
  unusedBuildArgs: string[];
}

/** Options of {@link planDockerfile}. */
export interface PlanOptions {
  /** `--build-arg` values by name. */
  buildArgs?: Record<string, string>;
  /**
   * The config of a base image named in FROM or COPY --from (a normalized or short reference),
   * or undefined when there is no such image. May throw a {@link BuildError} of its own.
   */
  baseConfig(ref: string): ImageRuntimeConfig | undefined;
  /** File name used in error messages (default `Dockerfile`). */
  file?: string;
}

/** Instructions that only change the config, and the ones executed. */
const SUPPORTED = new Set([
  'FROM',
  'RUN',
  'COPY',
  'ADD',
  'ENV',
  'ARG',
  'WORKDIR',
  'CMD',
  'ENTRYPOINT',
  'EXPOSE',
  'LABEL',
  'USER',
  'SHELL',
  'STOPSIGNAL',
  'VOLUME',
  'MAINTAINER',
]);

/** Why an instruction Docker knows is refused here. */
const UNSUPPORTED: Record<string, string> = {
  HEALTHCHECK: 'OCI images carry no health check; use a Kubernetes liveness/readiness probe instead',
  ONBUILD: 'ONBUILD triggers are a Docker image format extension',
};

const DEFAULT_SHELL = ['/bin/sh', '-c'];

/**
 * Parses a Dockerfile and plans the build.
 * @param text the Dockerfile's contents
 * @throws BuildError (`<file>:<line>: <reason>`) for an unknown or unsupported instruction or
 *   flag, a malformed instruction, a missing base image or stage, or no FROM at all.
 */
export function planDockerfile(text: string, opts: PlanOptions): BuildPlan {
  const file = opts.file ?? 'Dockerfile';
  const df = DockerfileParser.parse(text);
  const escape = df.getEscapeCharacter();
  const lines = text.split(/\r?\n/);
  const buildArgs = opts.buildArgs ?? {};
  const usedArgs = new Set<string>();
  const fail = (line: number, msg: string): never => {
    throw new BuildError(`${file}:${line}: ${msg}`);
  };

  const stages: StagePlan[] = [];
  // ARGs before the first FROM: usable in FROM lines, and re-declarable in stages.
  const globalArgs = new Map<string, string | undefined>();
  let stage: StagePlan | undefined;
  let args = new Map<string, string | undefined>();
  let shell = DEFAULT_SHELL;
  let cmdSet = false;

  const envMap = (cfg: ImageRuntimeConfig) =>
    new Map(
      (cfg.Env ?? []).map((e): [string, string] => {
        const eq = e.indexOf('=');
        return eq < 0 ? [e, ''] : [e.slice(0, eq), e.slice(eq + 1)];
      }),
    );
  /** Variables visible to substitution: ARGs, then ENV (ENV wins, as in Docker); FROM sees global ARGs only. */
  const scope = (global: boolean): Map<string, string> => {
    const m = new Map<string, string>();
    const a = stage && !global ? args : globalArgs;
    for (const [k, v] of a) if (v !== undefined) m.set(k, v);
    if (stage && !global) for (const [k, v] of envMap(stage.config)) m.set(k, v);
    return m;
  };
  const findSource = (line: number, name: string, what: string): BuildSource => {
    if (name.toLowerCase() === 'scratch') return { kind: 'scratch' };
    const st = stages.find((s) => s.name === name.toLowerCase());
    if (st) return { kind: 'stage', index: st.index };
    if (/^\d+$/.test(name)) {
      const i = Number(name);
      if (i >= stages.length || (stage && i >= stage.index))
        fail(line, `${what}: stage ${i} is not defined before this line`);
      return { kind: 'stage', index: i };
    }
    return { kind: 'image', ref: name };
  };

  for (const raw of df.getInstructions()) {
    const line = raw.getRange().start.line + 1;
    const keyword = raw.getKeyword();
    if (!SUPPORTED.has(keyword)) {
      if (UNSUPPORTED[keyword]) fail(line, `${keyword} is not supported: ${UNSUPPORTED[keyword]}`);
      fail(line, `unknown or unsupported instruction "${raw.getInstruction()}"`);
    }
    if (!stage && keyword !== 'FROM' && keyword !== 'ARG')
      fail(line, `${keyword} before the first FROM (only ARG may come before FROM)`);
    const expandable = !['RUN', 'CMD', 'ENTRYPOINT', 'SHELL'].includes(keyword);
    const instr = expandable
      ? expandInstruction(raw, lines, escape, scope(keyword === 'FROM'), line, fail)
      : raw;
    const flags = flagsOf(instr);
    const allowed: Record<string, string[]> = {
      FROM: ['platform'],
      COPY: ['from', 'chown', 'chmod'],
      ADD: ['chown', 'chmod'],
    };
    for (const f of flags) {
      if (!(allowed[keyword] ?? []).includes(f.getName()))
        fail(line, `${keyword} --${f.getName()} is not supported`);
    }
    const flag = (n: string) => flags.find((f) => f.getName() === n)?.getValue() ?? undefined;
    const content = (instr.getArgumentsContent() ?? '').trim();
    const words = () => instr.getArguments().map((a: Argument) => unquote(a.getValue()));
    const jsonOrShell = (): { list: string[]; json: boolean } => {
      const json = parseJsonArray(content);
      if (json) return { list: json, json: true };
      return { list: [...shell, content], json: false };
    };
    const s = stage;

    switch (keyword) {
      case 'FROM': {
        const w = words();
        if (w.length !== 1 && !(w.length === 3 && w[1].toLowerCase() === 'as'))
          fail(line, `FROM needs "<image> [AS <name>]", got "${content}"`);
        const platform = flag('platform');
        if (platform && platform !== 'linux/amd64')
          fail(line, `FROM --platform=${platform}: only linux/amd64 is built here`);
        const base = findSource(line, w[0], 'FROM');
        let config: ImageRuntimeConfig = {};
        if (base.kind === 'stage') config = clone(stages[base.index].config);
        else if (base.kind === 'image') {
          const c = opts.baseConfig(w[0]);
          if (!c) fail(line, `FROM ${w[0]}: no such image in the local image set`);
          config = clone(c!);
        }
        const name = w[2]?.toLowerCase();
        if (name && stages.some((x) => x.name === name))
          fail(line, `FROM: stage name "${name}" is used twice`);
        stage = { index: stages.length, name, line, base, steps: [], config };
        stages.push(stage);
        args = new Map();
        shell = DEFAULT_SHELL;
        cmdSet = false;
        break;
      }
      case 'ARG': {
        for (const p of properties(instr)) {
          const name = p.getName();
          let value = p.getValue() ?? undefined;
          if (name in buildArgs) {
            value = buildArgs[name];
            usedArgs.add(name);
          } else if (stage && value === undefined && globalArgs.has(name)) value = globalArgs.get(name);
          (stage ? args : globalArgs).set(name, value);
        }
        if (s) s.steps.push({ kind: 'config', line, createdBy: `ARG ${content}` });
        break;
      }
      case 'ENV': {
        const env = envMap(s!.config);
        const props = properties(instr);
        if (props.length === 0 || props.some((p) => p.getValue() === null))
          fail(line, `ENV needs KEY=value pairs (or "KEY value"), got "${content}"`);
        for (const p of props) env.set(p.getName(), p.getValue() ?? '');
        s!.config.Env = [...env].map(([k, v]) => `${k}=${v}`);
        s!.steps.push({ kind: 'config', line, createdBy: `ENV ${content}` });
        break;
      }
      case 'LABEL': {
        const props = properties(instr);
        if (props.length === 0) fail(line, 'LABEL needs key=value pairs');
        s!.config.Labels = { ...s!.config.Labels };
        for (const p of props) s!.config.Labels[p.getName()] = p.getValue() ?? '';
        s!.steps.push({ kind: 'config', line, createdBy: `LABEL ${content}` });
        break;
      }
      case 'MAINTAINER': {
        s!.config.Labels = { ...s!.config.Labels, maintainer: content };
        s!.steps.push({ kind: 'config', line, createdBy: `MAINTAINER ${content}` });
        break;
      }
      case 'WORKDIR': {
        if (!content) fail(line, 'WORKDIR needs a path');
        const path = resolvePath(s!.config.WorkingDir || '/', unquote(content));
        s!.config.WorkingDir = path;
        s!.steps.push({ kind: 'workdir', line, path, createdBy: `WORKDIR ${path}` });
        break;
      }
      case 'USER': {
        if (!content) fail(line, 'USER needs a user name or uid');
        s!.config.User = unquote(content);
        s!.steps.push({ kind: 'config', line, createdBy: `USER ${s!.config.User}` });
        break;
      }
      case 'EXPOSE': {
        const ports: Record<string, object> = { ...s!.config.ExposedPorts };
        for (const w of words()) {
          const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(w);
          if (!m) fail(line, `EXPOSE: invalid port "${w}" (want PORT[/tcp|udp|sctp])`);
          const lo = Number(m![1]);
          const hi = m![2] ? Number(m![2]) : lo;
          if (lo < 1 || hi > 65535 || hi < lo) fail(line, `EXPOSE: port out of range "${w}"`);
          for (let p = lo; p <= hi; p++) ports[`${p}/${(m![3] ?? 'tcp').toLowerCase()}`] = {};
        }
        s!.config.ExposedPorts = ports;
        s!.steps.push({ kind: 'config', line, createdBy: `EXPOSE ${content}` });
        break;
      }
      case 'VOLUME': {
        const list = parseJsonArray(content) ?? words();
        const vols: Record<string, object> = {
          ...(s!.config as { Volumes?: Record<string, object> }).Volumes,
        };
        for (const v of list) vols[v] = {};
        (s!.config as { Volumes?: Record<string, object> }).Volumes = vols;
        s!.steps.push({ kind: 'config', line, createdBy: `VOLUME ${JSON.stringify(list)}` });
        break;
      }
      case 'STOPSIGNAL': {
        if (!content) fail(line, 'STOPSIGNAL needs a signal');
        s!.config.StopSignal = content;
        s!.steps.push({ kind: 'config', line, createdBy: `STOPSIGNAL ${content}` });
        break;
      }
      case 'SHELL': {
        const json = parseJsonArray(content);
        if (!json || json.length === 0) fail(line, 'SHELL needs the JSON form, e.g. SHELL ["/bin/sh", "-c"]');
        shell = json!;
        s!.steps.push({ kind: 'config', line, createdBy: `SHELL ${content}` });
        break;
      }
      case 'CMD':
      case 'ENTRYPOINT': {
        if (!content) fail(line, `${keyword} needs a command`);
        const { list } = jsonOrShell();
        if (keyword === 'CMD') {
          s!.config.Cmd = list;
          cmdSet = true;
        } else {
          s!.config.Entrypoint = list;
          // Docker: setting ENTRYPOINT clears a CMD inherited from the base image.
          if (!cmdSet) s!.config.Cmd = null;
        }
        s!.steps.push({ kind: 'config', line, createdBy: `${keyword} ${JSON.stringify(list)}` });
        break;
      }
      case 'RUN': {
        if (!content) fail(line, 'RUN needs a command');
        if (/^<</.test(content)) fail(line, 'RUN with a here-document is not supported');
        const { list } = jsonOrShell();
        const env = envMap(s!.config);
        const argEnv = new Map<string, string>();
        for (const [k, v] of args) if (v !== undefined && !env.has(k)) argEnv.set(k, v);
        s!.steps.push({
          kind: 'run',
          line,
          args: list,
          env: [...(s!.config.Env ?? []), ...[...argEnv].map(([k, v]) => `${k}=${v}`)],
          user: s!.config.User ?? '',
          workdir: s!.config.WorkingDir || '/',
          createdBy: `RUN ${list.join(' ')}`,
        });
        break;
      }
      case 'COPY':
      case 'ADD': {
        const list = parseJsonArray(content) ?? words();
        if (list.length < 2) fail(line, `${keyword} needs at least one source and a destination`);
        const sources = list.slice(0, -1);
        const dest = list[list.length - 1];
        for (const src of sources) {
          if (/^[a-z][a-z0-9+.-]*:\/\//i.test(src))
            fail(line, `${keyword} ${src}: remote URLs are not supported (download into the context first)`);
        }
        if (sources.length > 1 && !dest.endsWith('/'))
          fail(line, `${keyword} with several sources needs a destination ending in "/"`);
        const fromName = flag('from');
        const chmodFlag = flag('chmod');
        if (chmodFlag !== undefined && !/^[0-7]{3,4}$/.test(chmodFlag))
          fail(line, `${keyword} --chmod=${chmodFlag}: only octal modes are supported`);
        s!.steps.push({
          kind: 'copy',
          line,
          add: keyword === 'ADD',
          sources,
          dest,
          workdir: s!.config.WorkingDir || '/',
          from: fromName !== undefined ? findSource(line, fromName, `${keyword} --from`) : undefined,
          chown: flag('chown') || undefined,
          chmod: chmodFlag !== undefined ? parseInt(chmodFlag, 8) : undefined,
          createdBy: [keyword, ...flags.map((f) => `--${f.getName()}=${f.getValue() ?? ''}`), content].join(
            ' ',
          ),
        });
        if (fromName !== undefined) {
          const src = s!.steps[s!.steps.length - 1] as CopyStep;
          if (src.from?.kind === 'image' && !opts.baseConfig(src.from.ref))
            fail(line, `${keyword} --from=${fromName}: no such stage or image in the local image set`);
          if (src.from?.kind === 'scratch') fail(line, `${keyword} --from=scratch: scratch has no files`);
        }
        break;
      }
    }
  }
  if (stages.length === 0) fail(1, 'no FROM instruction');
  return {
    stages,
    unusedBuildArgs: Object.keys(buildArgs).filter((k) => !usedArgs.has(k)),
  };
}

/** Joins a (possibly relative) path onto a directory, POSIX style, normalized, absolute. */
export function resolvePath(dir: string, p: string): string {
  const parts = (p.startsWith('/') ? p : `${dir}/${p}`).split('/');
  const out: string[] = [];
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** The JSON (exec) form: a JSON array of strings, as Docker's parser accepts it; else undefined. */
function parseJsonArray(content: string): string[] | undefined {
  if (!content.startsWith('[')) return undefined;
  try {
    const v = JSON.parse(content) as unknown;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    /* not JSON: shell form */
  }
  return undefined;
}

function unquote(s: string): string {
  if (s.length >= 2 && ((s[0] === '"' && s.endsWith('"')) || (s[0] === "'" && s.endsWith("'"))))
    return s.slice(1, -1);
  return s;
}

function flagsOf(instr: Instruction): Flag[] {
  const f = (instr as Instruction & { getFlags?: () => Flag[] }).getFlags;
  return f ? f.call(instr) : [];
}

function properties(instr: Instruction): Property[] {
  const p = (instr as Instruction & { getProperties?: () => Property[] }).getProperties;
  return p ? p.call(instr) : [];
}

/**
 * Substitutes `$VAR`, `${VAR}`, `${VAR:-default}` and `${VAR:+alt}` (located by dockerfile-ast)
 * in one instruction with the values in `vars`, then re-parses the result so quoting and
 * properties are read by the library as usual. Variables inside single quotes stay literal;
 * substituted values are escaped so they stay one word / one value.
 */
function expandInstruction(
  instr: Instruction,
  lines: string[],
  escape: string,
  vars: Map<string, string>,
  line: number,
  fail: (line: number, msg: string) => never,
): Instruction {
  const variables = instr.getVariables();
  if (variables.length === 0) return instr;
  const escapeValues = ['ENV', 'LABEL', 'ARG'].includes(instr.getKeyword());
  const range = instr.getRange();
  const offsetIn = (pos: { line: number; character: number }): number => {
    let o = 0;
    for (let l = range.start.line; l < pos.line; l++) o += lines[l].length + 1;
    return o + pos.character - (pos.line === range.start.line ? range.start.character : 0);
  };
  const text = instrText(lines, range);
  let out = '';
  let last = 0;
  for (const v of [...variables].sort(
    (a, b) => offsetIn(a.getRange().start) - offsetIn(b.getRange().start),
  )) {
    const start = offsetIn(v.getRange().start);
    const end = offsetIn(v.getRange().end);
    const quote = quoteState(text, start, escape);
    if (quote === "'") continue;
    const value = vars.get(v.getName());
    const mod = v.getModifier();
    let sub: string;
    if (mod === '-' || mod === '')
      sub = value !== undefined && value !== '' ? value : (v.getSubstitutionParameter() ?? '');
    else if (mod === '+')
      sub = value !== undefined && value !== '' ? (v.getSubstitutionParameter() ?? '') : '';
    else if (mod === null) sub = value ?? '';
    else fail(line, `unsupported variable modifier ":${mod}" in \${${v.getName()}}`);
    // Property values (ENV, LABEL, ARG) are re-read by the library: escape so they stay one value.
    out += text.slice(last, start) + (escapeValues ? escapeValue(sub!, quote === '"', escape) : sub!);
    last = end;
  }
  out += text.slice(last);
  const prefix = escape === '`' ? '# escape=`\n' : '';
  const reparsed = DockerfileParser.parse(prefix + out).getInstructions()[0];
  return reparsed ?? instr;
}

function instrText(
  lines: string[],
  range: { start: { line: number; character: number }; end: { line: number; character: number } },
): string {
  const part: string[] = [];
  for (let l = range.start.line; l <= range.end.line; l++) {
    let s = lines[l];
    if (l === range.end.line) s = s.slice(0, range.end.character);
    if (l === range.start.line) s = s.slice(range.start.character);
    part.push(s);
  }
  return part.join('\n');
}

/** Which quote (`'`, `"` or none) is open at `pos` of `text`. */
function quoteState(text: string, pos: number, escape: string): string | undefined {
  let q: string | undefined;
  for (let i = 0; i < pos; i++) {
    const c = text[i];
    if (c === escape && q !== "'") i++;
    else if (q === undefined && (c === '"' || c === "'")) q = c;
    else if (c === q) q = undefined;
  }
  return q;
}

function escapeValue(v: string, inDoubleQuotes: boolean, escape: string): string {
  let out = '';
  for (const c of v) {
    if (inDoubleQuotes ? c === '"' || c === escape : /[\s"']/.test(c) || c === escape) out += escape;
    out += c;
  }
  return out;
}
