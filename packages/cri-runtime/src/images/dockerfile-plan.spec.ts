import { planDockerfile, resolvePath, RunStep, CopyStep } from './dockerfile-plan';
import { BuildError } from '../errors';

const BUSYBOX = { Env: ['PATH=/usr/bin:/bin'], Cmd: ['sh'] };
const baseConfig = (ref: string) => (ref === 'busybox' || ref === 'busybox:latest' ? BUSYBOX : undefined);
const plan = (text: string, buildArgs?: Record<string, string>) =>
  planDockerfile(text, { baseConfig, buildArgs });
const errorOf = (text: string): string => {
  try {
    plan(text);
  } catch (e) {
    expect(e).toBeInstanceOf(BuildError);
    return (e as Error).message;
  }
  throw new Error('expected a BuildError');
};

describe('planDockerfile', () => {
  it('translates a single-stage Dockerfile into steps and an OCI config', () => {
    const p = plan(
      [
        'FROM busybox',
        'ENV APP=/srv GREETING="hello world"',
        'WORKDIR $APP',
        'COPY --chown=1000:1000 a.txt b/ ./',
        'RUN echo hi > out.txt && \\',
        '    cat out.txt',
        'RUN ["/bin/echo", "exec form"]',
        'LABEL org.example.name="demo app" tier=web',
        'EXPOSE 8080 53/udp',
        'USER 1000:1000',
        'CMD ["sh", "-c", "cat /srv/out.txt"]',
      ].join('\n'),
    );
    expect(p.stages).toHaveLength(1);
    const s = p.stages[0];
    expect(s.base).toEqual({ kind: 'image', ref: 'busybox' });
    expect(s.config).toEqual({
      Env: ['PATH=/usr/bin:/bin', 'APP=/srv', 'GREETING=hello world'],
      Cmd: ['sh', '-c', 'cat /srv/out.txt'],
      WorkingDir: '/srv',
      Labels: { 'org.example.name': 'demo app', tier: 'web' },
      ExposedPorts: { '8080/tcp': {}, '53/udp': {} },
      User: '1000:1000',
    });
    const kinds = s.steps.map((x) => x.kind);
    expect(kinds).toEqual([
      'config',
      'workdir',
      'copy',
      'run',
      'run',
      'config',
      'config',
      'config',
      'config',
    ]);
    const copy = s.steps[2] as CopyStep;
    expect(copy).toMatchObject({
      sources: ['a.txt', 'b/'],
      dest: './',
      workdir: '/srv',
      chown: '1000:1000',
      add: false,
      createdBy: 'COPY --chown=1000:1000 a.txt b/ ./',
    });
    const run = s.steps[3] as RunStep;
    expect(run.args[0]).toBe('/bin/sh');
    expect(run.args[1]).toBe('-c');
    expect(run.args[2]).toMatch(/^echo hi > out.txt &&\s+cat out.txt$/);
    expect(run.workdir).toBe('/srv');
    expect(run.user).toBe('');
    expect((s.steps[4] as RunStep).args).toEqual(['/bin/echo', 'exec form']);
  });

  it('substitutes ARG and ENV values, honours --build-arg, keeps single quotes literal', () => {
    const p = plan(
      [
        'ARG BASE=busybox',
        'FROM ${BASE}',
        'ARG VERSION=1.0',
        'ARG MODE',
        "ENV V=$VERSION D=${MISSING:-dflt} A=${VERSION:+set} L='$VERSION' P=$PATH:/opt",
        'WORKDIR /opt/${VERSION}',
        'RUN echo $VERSION',
      ].join('\n'),
      { VERSION: '2.5 beta', UNUSED: 'x' },
    );
    const s = p.stages[0];
    expect(s.config.Env).toEqual([
      'PATH=/usr/bin:/bin',
      'V=2.5 beta',
      'D=dflt',
      'A=set',
      'L=$VERSION',
      'P=/usr/bin:/bin:/opt',
    ]);
    expect(s.config.WorkingDir).toBe('/opt/2.5 beta');
    // ARGs reach RUN as environment variables, but are not kept in the image config.
    const run = s.steps.find((x) => x.kind === 'run') as RunStep;
    expect(run.env).toContain('VERSION=2.5 beta');
    expect(run.args).toEqual(['/bin/sh', '-c', 'echo $VERSION']);
    expect(p.unusedBuildArgs).toEqual(['UNUSED']);
  });

  it('ENTRYPOINT clears an inherited CMD but not one set in the Dockerfile; shell form uses SHELL', () => {
    expect(plan('FROM busybox\nENTRYPOINT ["/app"]').stages[0].config).toMatchObject({
      Entrypoint: ['/app'],
      Cmd: null,
    });
    expect(plan('FROM busybox\nCMD ["--port", "80"]\nENTRYPOINT /app').stages[0].config).toMatchObject({
      Entrypoint: ['/bin/sh', '-c', '/app'],
      Cmd: ['--port', '80'],
    });
    const s = plan('FROM busybox\nSHELL ["/bin/ash", "-eo", "pipefail", "-c"]\nRUN false | true').stages[0];
    expect((s.steps[1] as RunStep).args).toEqual(['/bin/ash', '-eo', 'pipefail', '-c', 'false | true']);
  });

  it('FROM lines see only the ARGs declared before the first FROM', () => {
    const p = plan('ARG BASE=busybox\nFROM $BASE AS one\nARG BASE=nosuch\nENV BASE=nosuch2\nFROM ${BASE}');
    expect(p.stages.map((s) => s.base)).toEqual([
      { kind: 'image', ref: 'busybox' },
      { kind: 'image', ref: 'busybox' },
    ]);
  });

  it('plans multi-stage builds with COPY --from and scratch', () => {
    const p = plan(
      'FROM busybox AS build\nRUN echo x > /x\nFROM scratch\nCOPY --from=build /x /x\nCOPY --from=0 /bin/busybox /sh',
    );
    expect(p.stages.map((s) => [s.name, s.base])).toEqual([
      ['build', { kind: 'image', ref: 'busybox' }],
      [undefined, { kind: 'scratch' }],
    ]);
    expect((p.stages[1].steps[0] as CopyStep).from).toEqual({ kind: 'stage', index: 0 });
    expect((p.stages[1].steps[1] as CopyStep).from).toEqual({ kind: 'stage', index: 0 });
    expect(p.stages[1].config).toEqual({});
  });

  it('rejects bad input with one line naming the instruction and line', () => {
    expect(errorOf('FROM busybox\nHEALTHCHECK CMD true')).toMatch(
      /^Dockerfile:2: HEALTHCHECK is not supported/,
    );
    expect(errorOf('FROM busybox\n\nFOO bar')).toBe('Dockerfile:3: unknown or unsupported instruction "FOO"');
    expect(errorOf('FROM busybox\nONBUILD RUN x')).toMatch(/^Dockerfile:2: ONBUILD is not supported/);
    expect(errorOf('RUN true')).toMatch(/^Dockerfile:1: RUN before the first FROM/);
    expect(errorOf('FROM nosuch:1')).toBe(
      'Dockerfile:1: FROM nosuch:1: no such image in the local image set',
    );
    expect(errorOf('FROM busybox\nRUN --mount=type=cache,target=/x true')).toBe(
      'Dockerfile:2: RUN --mount is not supported',
    );
    expect(errorOf('FROM busybox\nADD https://example.com/x /x')).toMatch(/remote URLs are not supported/);
    expect(errorOf('FROM busybox\nCOPY a b c')).toMatch(/destination ending in "\/"/);
    expect(errorOf('FROM busybox\nEXPOSE http')).toMatch(/^Dockerfile:2: EXPOSE: invalid port "http"/);
    expect(errorOf('FROM busybox\nCOPY --from=nope /x /x')).toMatch(/no such stage or image/);
    expect(errorOf('# just a comment\n')).toBe('Dockerfile:1: no FROM instruction');
  });

  it('resolvePath joins and normalizes POSIX paths', () => {
    expect(resolvePath('/srv', 'a/../b/./c')).toBe('/srv/b/c');
    expect(resolvePath('/srv', '/etc/')).toBe('/etc');
    expect(resolvePath('/', '../..')).toBe('/');
  });
});
