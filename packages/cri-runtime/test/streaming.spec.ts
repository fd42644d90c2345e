import WebSocket from 'ws';
import { join } from 'node:path';
import { ContainerState } from '../src/cri-api';
import {
  containerConfig,
  describeRoot,
  removeBusyboxLayout,
  sandboxConfig,
  startTestRuntime,
  TestRuntime,
  waitFor,
  readOr,
} from './helpers';

interface Session {
  stdout: string;
  stderr: string;
  status?: {
    status: string;
    reason?: string;
    details?: { causes: Array<{ reason: string; message: string }> };
  };
}

function openSession(url: string, stdin?: string, s: Session = { stdout: '', stderr: '' }): Promise<Session> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), ['v4.channel.k8s.io']);
    ws.on('open', () => {
      if (stdin !== undefined) {
        ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(stdin)]));
        ws.send(Buffer.from([0]));
      }
    });
    ws.on('message', (data: Buffer) => {
      const ch = data[0];
      const text = data.subarray(1).toString();
      if (ch === 1) s.stdout += text;
      if (ch === 2) s.stderr += text;
      if (ch === 3) s.status = JSON.parse(text);
    });
    ws.on('close', () => resolve(s));
    ws.on('error', reject);
  });
}

describeRoot('Exec and Attach streaming (websocket, v4.channel.k8s.io framing)', () => {
  let t: TestRuntime;
  let podSandboxId: string;
  let containerId: string;
  beforeAll(async () => {
    t = await startTestRuntime();
    const cfg = sandboxConfig(t.root);
    ({ podSandboxId } = await t.client.rt('runPodSandbox', { config: cfg }));
    ({ containerId } = await t.client.rt('createContainer', {
      podSandboxId,
      config: containerConfig('ticker', [
        'sh',
        '-c',
        'i=0; while true; do i=$((i+1)); echo tick $i; echo warn $i >&2; sleep 0.2; done',
      ]),
      sandboxConfig: cfg,
    }));
    await t.client.rt('startContainer', { containerId });
  });
  afterAll(async () => {
    await t?.cleanup();
    removeBusyboxLayout();
  });

  test('Exec streams stdin, stdout, stderr and a NonZeroExitCode status', async () => {
    const { url } = await t.client.rt('exec', {
      containerId,
      cmd: ['sh', '-c', 'read x; echo got $x; echo oops >&2; exit 4'],
      stdin: true,
      stdout: true,
      stderr: true,
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/exec\/[a-f0-9]+$/);
    const s = await openSession(url, 'hello\n');
    expect(s.stdout).toBe('got hello\n');
    expect(s.stderr).toBe('oops\n');
    expect(s.status).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '4' }] },
    });
    // A URL is single use.
    await expect(openSession(url)).rejects.toThrow(/404/);
  });

  test('Exec with tty gives the command a terminal', async () => {
    const { url } = await t.client.rt('exec', {
      containerId,
      cmd: ['sh', '-c', 'tty; read x; echo got $x; exit 2'],
      tty: true,
      stdin: true,
      stdout: true,
    });
    const s = await openSession(url, 'typed\n');
    // Two terminals in a row (script's and the runtime's) may each turn \n into \r\n.
    expect(s.stdout).toMatch(/\/dev\/pts\/\d+\r+\n/);
    expect(s.stdout).toMatch(/got typed\r+\n/);
    expect(s.status?.details?.causes[0].message).toBe('2');
  });

  test('Exec of a successful command reports Success', async () => {
    const { url } = await t.client.rt('exec', { containerId, cmd: ['hostname'], stdout: true, stderr: true });
    const s = await openSession(url);
    expect(s.stdout.trim().length).toBeGreaterThan(0);
    expect(s.status).toEqual({ metadata: {}, status: 'Success' });
  });

  test('Attach streams the container output until it exits', async () => {
    const { url } = await t.client.rt('attach', { containerId, stdout: true, stderr: true });
    const live: Session = { stdout: '', stderr: '' };
    const done = openSession(url, undefined, live);
    await waitFor(() => live.stdout.includes('\n') && live.stderr.includes('\n'), 60000, 'attached output');
    await t.client.rt('stopContainer', { containerId, timeout: 0n });
    const s = await done;
    expect(s.stdout).toMatch(/^(tick \d+\n)+$/);
    expect(s.stderr).toMatch(/^(warn \d+\n)+$/);
    expect(s.status?.status).toBe('Success');
  });

  test('Attach with stdin feeds a stdin container; stdin_once closes it', async () => {
    const cfg = sandboxConfig(t.root);
    const { podSandboxId: pod } = await t.client.rt('runPodSandbox', { config: cfg });
    const { containerId: cid } = await t.client.rt('createContainer', {
      podSandboxId: pod,
      config: {
        ...containerConfig('reader', [
          'sh',
          '-c',
          'echo ready; while read x; do echo got $x; done; echo eof',
        ]),
        stdin: true,
        stdinOnce: true,
      },
      sandboxConfig: cfg,
    });
    await t.client.rt('startContainer', { containerId: cid });
    const log = join(cfg.logDirectory, 'reader.log');
    await waitFor(() => readOr(log).includes('stdout F ready'), 60000, 'reader ready');
    const { url } = await t.client.rt('attach', { containerId: cid, stdin: true, stdout: true });
    const s = await openSession(url, 'one\ntwo\n');
    expect(s.stdout).toBe('got one\ngot two\neof\n');
    const st = (await t.client.rt('containerStatus', { containerId: cid })).status;
    expect(st.state).toBe(ContainerState.CONTAINER_EXITED);
    expect(st.exitCode).toBe(0);
    await t.client.rt('removePodSandbox', { podSandboxId: pod });
  });

  test('a tty container gets a terminal; its output is logged on stdout', async () => {
    const cfg = sandboxConfig(t.root);
    const { podSandboxId: pod } = await t.client.rt('runPodSandbox', { config: cfg });
    const { containerId: cid } = await t.client.rt('createContainer', {
      podSandboxId: pod,
      config: {
        ...containerConfig('term', ['sh', '-c', 'tty; echo to-stderr >&2; exit 6']),
        tty: true,
        stdin: true,
      },
      sandboxConfig: cfg,
    });
    await t.client.rt('startContainer', { containerId: cid });
    const st = await waitFor(async () => {
      const r = await t.client.rt('containerStatus', { containerId: cid });
      return r.status.state === ContainerState.CONTAINER_EXITED ? r.status : undefined;
    });
    expect(st.exitCode).toBe(6);
    const log = readOr(join(cfg.logDirectory, 'term.log'));
    expect(log).toMatch(/ stdout F \/dev\/pts\/\d+\n/);
    expect(log).toMatch(/ stdout F to-stderr\n/);
    await t.client.rt('removePodSandbox', { podSandboxId: pod });
  });

  test('PortForward reaches a port on the pod loopback (port header, data, close)', async () => {
    const cfg = sandboxConfig(t.root);
    const { podSandboxId: pod } = await t.client.rt('runPodSandbox', { config: cfg });
    const { containerId: web } = await t.client.rt('createContainer', {
      podSandboxId: pod,
      config: containerConfig('web', ['httpd', '-f', '-p', '127.0.0.1:8080', '-h', '/var/www']),
      sandboxConfig: cfg,
    });
    await t.client.rt('startContainer', { containerId: web });
    await waitFor(async () => {
      const r = await t.client.rt('execSync', {
        containerId: web,
        cmd: ['wget', '-q', '-O', '-', 'http://127.0.0.1:8080/'],
        timeout: 30n,
      });
      return r.exitCode === 0;
    });
    const { url } = await t.client.rt('portForward', { podSandboxId: pod, port: [8080] });
    expect(url).toMatch(/\/portforward\/[a-f0-9]+$/);
    const frames = await new Promise<Buffer[]>((resolve, reject) => {
      const ws = new WebSocket(url.replace(/^http/, 'ws'), ['v4.channel.k8s.io']);
      const got: Buffer[] = [];
      ws.on('open', () => ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('GET / HTTP/1.0\r\n\r\n')])));
      ws.on('message', (d: Buffer) => got.push(d));
      ws.on('close', () => resolve(got));
      ws.on('error', reject);
    });
    // First frames: the port (8080 = 0x1f90, little endian) on the data and error channels.
    expect(frames[0]).toEqual(Buffer.from([0, 0x90, 0x1f]));
    expect(frames[1]).toEqual(Buffer.from([1, 0x90, 0x1f]));
    const data = Buffer.concat(
      frames
        .slice(2)
        .filter((f) => f[0] === 0)
        .map((f) => f.subarray(1)),
    ).toString();
    expect(data).toMatch(/^HTTP\/1\.[01] 200 OK/);
    expect(data).toContain('hello from keelson busybox');
    await expect(t.client.rt('portForward', { podSandboxId: pod, port: [0] })).rejects.toMatchObject({
      code: 3,
    });
    await t.client.rt('removePodSandbox', { podSandboxId: pod });
  });

  test('Exec on an unknown container is NOT_FOUND', async () => {
    await expect(t.client.rt('exec', { containerId: 'nope', cmd: ['true'] })).rejects.toMatchObject({
      code: 5,
    });
  });
});
