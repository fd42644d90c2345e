// The kubelet HTTP server against the fake runtime: logs from CRI log files, exec over the
// WebSocket channel protocol (ExecSync fallback, since the fake has no streaming URL).
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { Pod } from '@keelson/api';
import { FakeClientset } from '@keelson/client';
import { FakeCriRuntime } from '../cri/fake-runtime';
import { startKubelet, type KubeletHandle } from '../kubelet';
import { makePod } from '../testing/builders';
import { waitFor } from '../testing/wait';
import { silentLogger } from '../util/log';
import { decodeFrame, exitCodeOf } from './channel';
import { formatCriLogLine } from './logs';

describe('kubelet HTTP server', () => {
  let dir: string;
  let cs: FakeClientset;
  let cri: FakeCriRuntime;
  let k: KubeletHandle;
  let base: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubelet-srv-'));
    cs = new FakeClientset();
    cri = new FakeCriRuntime();
    cri.sandboxIp = '10.244.1.8';
    cri.images.add('busybox:1.36');
    cri.setExecHandler((_id, cmd) => {
      if (cmd[0] === 'fail') return { stdout: Buffer.alloc(0), stderr: Buffer.from('bad\n'), exitCode: 3 };
      return { stdout: Buffer.from(`ran ${cmd.join(' ')}\n`), stderr: Buffer.alloc(0), exitCode: 0 };
    });
    k = await startKubelet(
      {
        nodeName: 'n1',
        runtime: cri,
        rootDir: dir,
        nodeIp: '127.0.0.1',
        port: 0,
        address: '127.0.0.1',
        disableCni: true,
        relistMs: 30,
        logger: silentLogger,
      },
      cs,
    );
    base = `http://127.0.0.1:${k.port}`;
    const pod = makePod('web', [{ name: 'c', image: 'busybox:1.36' }]);
    await cs.resource<Pod>('pods').create({ ...pod, metadata: { name: 'web', namespace: 'default' } });
    await waitFor(
      'Running',
      async () => (await cs.resource<Pod>('pods').get('default', 'web')).status?.phase === 'Running',
    );
    const uid = (await cs.resource<Pod>('pods').get('default', 'web')).metadata.uid!;
    // the fake runtime does not write logs: write the CRI log file where the kubelet expects it
    const logDir = join(dir, 'pod-logs', `default_web_${uid}`, 'c');
    await mkdir(logDir, { recursive: true });
    await writeFile(
      join(logDir, '0.log'),
      ['hello', 'world', 'third']
        .map((s, i) =>
          formatCriLogLine({ timestamp: `2026-01-01T00:00:0${i}.000000000Z`, stream: 'stdout', content: s }),
        )
        .join(''),
    );
  });

  afterAll(async () => {
    await k.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves /healthz, /metrics and /pods', async () => {
    expect(await (await fetch(`${base}/healthz`)).text()).toBe('ok');
    await waitFor('a relist counting the pod', async () =>
      /^kubelet_running_pods 1$/m.test(await (await fetch(`${base}/metrics`)).text()),
    );
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(
      /^kubelet_running_containers\{container_state="running"\} 1$/m,
    );
    const list = (await (await fetch(`${base}/pods`)).json()) as { items: Pod[] };
    expect(list.items.map((p) => p.metadata.name)).toEqual(['web']);
    expect(list.items[0]!.status?.phase).toBe('Running');
  });

  it('serves container logs with tailLines and timestamps', async () => {
    expect(await (await fetch(`${base}/containerLogs/default/web/c`)).text()).toBe('hello\nworld\nthird\n');
    expect(
      await (await fetch(`${base}/containerLogs/default/web/c?tailLines=1&timestamps=true`)).text(),
    ).toBe('2026-01-01T00:00:02.000000000Z third\n');
    const prev = await fetch(`${base}/containerLogs/default/web/c?previous=true`);
    expect(prev.status).toBe(400);
    expect(await prev.text()).toContain('previous terminated container "c" in pod "web" not found');
    expect((await fetch(`${base}/containerLogs/default/nope/c`)).status).toBe(404);
  });

  async function exec(query: string, protocol = 'v5.channel.k8s.io') {
    const ws = new WebSocket(`ws://127.0.0.1:${k.port}/exec/default/web/c?${query}`, [protocol]);
    const frames: { channel: number; data: Buffer }[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (d: Buffer) => {
        const f = decodeFrame(protocol, d);
        if (f) frames.push(f);
      });
      ws.on('close', () => resolve());
      ws.on('error', reject);
    });
    return { frames, protocol: ws.protocol };
  }

  it('runs exec over the v5 channel protocol and reports the exit status on channel 3', async () => {
    const ok = await exec('command=echo&command=hi&stdout=1&stderr=1');
    expect(ok.protocol).toBe('v5.channel.k8s.io');
    const out = Buffer.concat(ok.frames.filter((f) => f.channel === 1).map((f) => f.data)).toString();
    expect(out).toBe('ran echo hi\n');
    const status = JSON.parse(ok.frames.find((f) => f.channel === 3)!.data.toString());
    expect(exitCodeOf(status)).toBe(0);
    const bad = await exec('command=fail&stdout=1&stderr=1', 'v4.channel.k8s.io');
    expect(Buffer.concat(bad.frames.filter((f) => f.channel === 2).map((f) => f.data)).toString()).toBe(
      'bad\n',
    );
    const st = JSON.parse(bad.frames.find((f) => f.channel === 3)!.data.toString());
    expect(st).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
  });

  it('follows a log until the container exits', async () => {
    const uid = (await cs.resource<Pod>('pods').get('default', 'web')).metadata.uid!;
    const path = join(dir, 'pod-logs', `default_web_${uid}`, 'c', '0.log');
    const res = await fetch(`${base}/containerLogs/default/web/c?follow=true&tailLines=1`);
    const reader = res.body!.getReader();
    let text = '';
    const read = async (until: string) => {
      while (!text.includes(until)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString();
      }
    };
    await read('third\n');
    await appendFile(
      path,
      formatCriLogLine({ timestamp: '2026-01-01T00:00:09Z', stream: 'stdout', content: 'appended' }),
    );
    await read('appended\n');
    cri.exitContainer(cri.containersNamed('c')[0]!.status.id, 0);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    expect(text).toBe('third\nappended\n');
  });

  it('rejects exec without a WebSocket upgrade', async () => {
    expect((await fetch(`${base}/exec/default/web/c?command=ls`)).status).toBe(400);
  });
});
