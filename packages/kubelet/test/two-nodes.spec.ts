// Two kubelets on one machine sharing one keelson-cri runtime and one apiserver, each with its own
// bridge and pod CIDR (root only): a pod on node 2 reaches a pod on node 1 by pod IP, and neither
// kubelet treats the other's sandboxes as orphans.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Pod } from '@keelson/api';
import { startKubelet, type KubeletHandle } from '../src/kubelet';
import { waitFor } from '../src/testing/wait';
import { silentLogger } from '../src/util/log';
import { describeRoot, startTestNode, type TestNode } from './helpers';

jest.setTimeout(120_000);

describeRoot('two kubelets on one machine', () => {
  let node: TestNode;
  let second: KubeletHandle | undefined;
  const bridge2 = `ktd${process.pid % 100000}`;
  const cidr2 = `10.236.${process.pid % 250}.0/24`;

  beforeAll(async () => {
    node = await startTestNode('kt-n1');
    second = await startKubelet(
      {
        nodeName: 'kt-n2',
        containerRuntimeEndpoint: `unix://${join(node.dir, 'cri.sock')}`,
        rootDir: join(node.dir, 'kubelet2'),
        podCidr: cidr2,
        nodeIp: '127.0.0.1',
        port: 0,
        address: '127.0.0.1',
        cniBridge: bridge2,
        logger: silentLogger,
      },
      node.cs,
    );
  }, 120_000);

  afterAll(async () => {
    try {
      await second?.stop({ removePods: true });
    } finally {
      spawnSync('ip', ['link', 'del', bridge2]);
      await node?.cleanup();
    }
  }, 120_000);

  const pod = (name: string, nodeName: string, cmd: string, restartPolicy = 'Always'): Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName,
      restartPolicy,
      terminationGracePeriodSeconds: 1,
      containers: [
        { name: 'c', image: 'busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', cmd] },
      ],
    },
  });
  const get = (n: string) => node.cs.resource<Pod>('pods').get('default', n);

  it('routes pod traffic across the two nodes and keeps their sandboxes apart', async () => {
    await node.cs
      .resource<Pod>('pods')
      .create(
        pod(
          'srv',
          'kt-n1',
          'mkdir -p /www && echo across-nodes > /www/index.html && exec httpd -f -p 8080 -h /www',
        ),
      );
    const srv = await waitFor(
      'srv Running',
      async () => {
        const p = await get('srv');
        return p.status?.phase === 'Running' && p.status.podIP ? p : undefined;
      },
      60_000,
      200,
    );
    await node.cs
      .resource<Pod>('pods')
      .create(pod('cli', 'kt-n2', `wget -q -O- http://${srv.status!.podIP}:8080/index.html`, 'Never'));
    const cli = await waitFor(
      'cli done',
      async () => {
        const p = await get('cli');
        return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p : undefined;
      },
      60_000,
      200,
    );
    expect(cli.status?.phase).toBe('Succeeded');
    expect(cli.status?.podIP?.startsWith(cidr2.split('.').slice(0, 3).join('.'))).toBe(true);
    expect(await node.kubelet.kubelet.cleanupOrphans()).toBe(0);
    expect(await second!.kubelet.cleanupOrphans()).toBe(0);
    const logs = await (await fetch(`http://127.0.0.1:${second!.port}/containerLogs/default/cli/c`)).text();
    expect(logs).toBe('across-nodes\n');
  });
});
