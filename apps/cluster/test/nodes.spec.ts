/**
 * Nodes joining and leaving a running cluster, with the real kubectl: on a one-node `keelson up`
 * (the node in the host's network namespace),
 * - `keelson node add` brings a local node Ready, a pod runs on it, `keelson node remove` drains
 *   it and leaves no Node, namespace or veth behind;
 * - "another machine", a network namespace this test makes and connects to the host by a veth
 *   pair (10.251.<x>.0/30; the apiserver listens on the host's end, `up --advertise-address`),
 *   runs `keelson node join`: a wrong token is refused with a clear
 *   error, the right one (from `keelson node join-command`) makes a Ready node, a pod scheduled
 *   to it answers a pod on the original node by pod IP, and `keelson down` there removes its
 *   Node, routes, bridge and rules.
 * Needs root and kubectl; skips with a printed reason otherwise.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, has, isRoot, keelson, kubectlFor, run, until as waitUntil } from './helpers';

const hasKubectl = has('kubectl');
if (!isRoot || !hasKubectl) console.log(`skipped: needs ${isRoot ? 'kubectl' : 'root'}`);

const sh = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' });

(isRoot && hasKubectl ? describe : describe.skip)('keelson node add / remove / join', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keelson-nodes-'));
  const joinDir = mkdtempSync(join(tmpdir(), 'keelson-join-'));
  const kubeconfig = join(dataDir, 'kubeconfig');
  // "another machine": a namespace of ours on a /30 outside the cluster's ranges
  const machine = `ktm-${process.pid}`;
  const hostVeth = `ktm${process.pid}h`;
  const subnet = `10.251.${process.pid % 250}`;
  const inMachine = (args: string[]) => ['nsenter', `--net=/var/run/netns/${machine}`, keelson, ...args];
  const kubectl = kubectlFor(kubeconfig, 120_000);
  const until = <T>(what: string, fn: () => Promise<T | undefined | null | false>, ms = 60_000) =>
    waitUntil(what, fn, ms, 500);
  const podOn = async (name: string, node: string, command: string[]) => {
    await kubectl(
      'run',
      name,
      '--image=busybox',
      `--overrides=${JSON.stringify({ spec: { nodeName: node, terminationGracePeriodSeconds: 1 } })}`,
      '--command',
      '--',
      ...command,
    );
    await kubectl('wait', '--for=condition=Ready', `pod/${name}`, '--timeout=60s');
  };
  let hostNode = '';
  let clusterId = '';

  let apiPort = 0;

  beforeAll(async () => {
    // The other machine's link exists first: the apiserver listens on the host's end of it.
    for (const c of [
      ['ip', 'netns', 'add', machine],
      ['ip', 'link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', machine],
      ['ip', 'addr', 'add', `${subnet}.1/30`, 'dev', hostVeth],
      ['ip', 'link', 'set', hostVeth, 'up'],
      ['ip', '-n', machine, 'addr', 'add', `${subnet}.2/30`, 'dev', 'eth0'],
      ['ip', '-n', machine, 'link', 'set', 'eth0', 'up'],
      ['ip', '-n', machine, 'link', 'set', 'lo', 'up'],
      ['ip', '-n', machine, 'route', 'add', 'default', 'via', `${subnet}.1`],
    ])
      if (sh(c[0], c.slice(1)).status !== 0) throw new Error(`${c.join(' ')} failed`);
    const [api, grpc] = [await freePort(), await freePort()];
    apiPort = api;
    await run(
      keelson,
      [
        'up',
        '--data-dir',
        dataDir,
        '--api-port',
        String(api),
        '--grpc-port',
        String(grpc),
        '--advertise-address',
        `${subnet}.1`,
        '--timeout',
        '240',
      ],
      { timeout: 300_000 },
    );
    clusterId = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8')).id;
    hostNode = (await kubectl('get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}')).trim();
  }, 320_000);

  afterAll(async () => {
    if (existsSync(`/var/run/netns/${machine}`)) {
      const [cmd, ...args] = inMachine(['down', '--data-dir', joinDir, '--purge']);
      await run(cmd, args, { timeout: 120_000 }).catch(() => undefined);
    }
    // The cluster goes before the link its apiserver listens on (its nodes talk to it while stopping).
    if (existsSync(join(dataDir, 'state.json')))
      await run(keelson, ['down', '--data-dir', dataDir], { timeout: 200_000 }).catch(() => undefined);
    sh('ip', ['netns', 'del', machine]);
    sh('ip', ['link', 'del', hostVeth]);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(joinDir, { recursive: true, force: true });
  }, 330_000);

  it('adds a local node that runs pods, refuses bad names, and removes it leaving nothing', async () => {
    const add = await run(keelson, ['node', 'add', 'extra-1', '--data-dir', dataDir], { timeout: 150_000 });
    expect(add.stdout).toMatch(/node extra-1 added .* and Ready/);
    const netns = `kn-${clusterId}-1`;
    expect(sh('ip', ['netns', 'list']).stdout).toContain(netns);
    await expect(run(keelson, ['node', 'add', 'Bad_Name', '--data-dir', dataDir])).rejects.toMatchObject({
      stderr: expect.stringMatching(/^keelson: invalid node name "Bad_Name": .*\n$/),
    });
    await expect(run(keelson, ['node', 'add', 'extra-1', '--data-dir', dataDir])).rejects.toMatchObject({
      stderr: expect.stringContaining('a node named "extra-1" already exists'),
    });
    await expect(run(keelson, ['node', 'remove', hostNode, '--data-dir', dataDir])).rejects.toMatchObject({
      stderr: expect.stringContaining(`cannot remove node ${hostNode}`),
    });

    await podOn('on-extra', 'extra-1', ['sleep', '3600']);
    expect(await kubectl('get', 'pod', 'on-extra', '-o', 'jsonpath={.status.podIP}')).toMatch(
      /^10\.244\.1\./,
    );

    const rm = await run(keelson, ['node', 'remove', 'extra-1', '--data-dir', dataDir], { timeout: 200_000 });
    expect(rm.stdout).toContain('node extra-1 drained (1 pod(s) evicted) and removed');
    expect(await kubectl('get', 'nodes', '-o', 'name')).toBe(`node/${hostNode}\n`);
    expect(await kubectl('get', 'pods', '-o', 'name')).toBe('');
    expect(sh('ip', ['netns', 'list']).stdout).not.toContain(netns);
    expect(sh('ip', ['-o', 'link', 'show']).stdout).not.toMatch(new RegExp(`kv${clusterId}|kh-${clusterId}`));
    expect(sh('ip', ['route', 'show', '10.244.1.0/24']).stdout.trim()).toBe('');
    // the last node stays
    await expect(run(keelson, ['node', 'remove', hostNode, '--data-dir', dataDir])).rejects.toMatchObject({
      stderr: expect.stringContaining("it is the cluster's last node"),
    });
  }, 300_000);

  it('joins another machine by token; its pods reach the cluster by pod IP; down there cleans up', async () => {
    const line = (await run(keelson, ['node', 'join-command', '--data-dir', dataDir])).stdout.trim();
    const m = /^keelson node join --server (\S+) --token (\S+)$/.exec(line);
    expect(m).not.toBeNull();
    const [, server, token] = m!;
    expect(server).toBe(`http://${subnet}.1:${apiPort}`); // --advertise-address

    const wrong = inMachine([
      'node',
      'join',
      '--server',
      server,
      '--token',
      'abcdef.0123456789abcdef',
      '--data-dir',
      joinDir,
    ]);
    await expect(run(wrong[0], wrong.slice(1), { timeout: 60_000 })).rejects.toMatchObject({
      stderr: expect.stringContaining(`the apiserver at ${server} refused the token (401 Unauthorized)`),
    });

    const join_ = inMachine([
      'node',
      'join',
      '--server',
      server,
      '--token',
      token,
      '--data-dir',
      joinDir,
      '--node-name',
      'machine-2',
      '--detach',
    ]);
    const joined = await run(join_[0], join_.slice(1), { timeout: 240_000 });
    expect(joined.stdout).toMatch(
      new RegExp(
        `node machine-2 joined .* \\(${subnet.replace(/\./g, '\\.')}\\.2, pod CIDR 10\\.244\\.\\d+\\.0/24\\) and is Ready`,
      ),
    );
    const podCIDR = (await kubectl('get', 'node', 'machine-2', '-o', 'jsonpath={.spec.podCIDR}')).trim();
    // the cluster routes the joined node's pod CIDR to it (host-gw)
    await until('host route to the joined pod CIDR', async () =>
      sh('ip', ['route', 'show', podCIDR]).stdout.includes(`via ${subnet}.2`),
    );

    await podOn('srv', 'machine-2', [
      'sh',
      '-c',
      'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www',
    ]);
    await podOn('cli', hostNode, ['sleep', '3600']);
    const ip = (await kubectl('get', 'pod', 'srv', '-o', 'jsonpath={.status.podIP}')).trim();
    expect(ip.startsWith(podCIDR.replace(/0\/24$/, ''))).toBe(true);
    expect(await kubectl('exec', 'cli', '--', 'wget', '-qO-', `http://${ip}/`)).toBe('srv\n');
    await kubectl('delete', 'pod', 'srv', 'cli', '--wait=true');

    const down = inMachine(['down', '--data-dir', joinDir, '--purge']);
    await run(down[0], down.slice(1), { timeout: 120_000 });
    expect(await kubectl('get', 'nodes', '-o', 'name')).toBe(`node/${hostNode}\n`);
    await until(
      'host route to the joined pod CIDR removed',
      async () => sh('ip', ['route', 'show', podCIDR]).stdout.trim() === '',
    );
    const links = sh('ip', ['-n', machine, '-o', 'link', 'show']).stdout;
    expect(links).not.toMatch(/kb-|veth/);
    expect(sh('ip', ['netns', 'exec', machine, 'nft', 'list', 'tables']).stdout).not.toContain('keelson');
    expect(sh('ip', ['-n', machine, 'route', 'show']).stdout).not.toContain('10.244.');
    expect(existsSync(joinDir)).toBe(false);
  }, 300_000);
});
