/**
 * End to end: `keelson up --nodes 2` on a fresh data dir, then the real kubectl drives the cluster:
 * a Deployment of busybox httpd pods behind a Service reached by DNS name and ClusterIP from a
 * client pod and by NodePort from the host; rollout, undo and scale; the Job and memory-demo pods
 * of the architecture document (and one that exceeds its limit and is OOMKilled); logs and exec;
 * `keelson image build` and a pod from the built image on each node; a StatefulSet whose
 * local-path volume survives pod recreation; namespace deletion; finally `keelson down` leaves no
 * process, bridge, nft table or cgroup.
 * Needs root; skips with a printed reason otherwise.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort, has, isRoot, keelson, kubectlFor, run, until as waitUntil } from './helpers';

const hasKubectl = has('kubectl');

/**
 * Watches the pods matching `selector` with `kubectl get -w --output-watch-events` and checks the
 * count of available pods (Ready and not being deleted) on every event. Checking starts once the
 * count first reaches `minAvailable` (the initial list arrives one event at a time); each event
 * that leaves fewer is recorded in `violations`.
 */
function watchAvailability(kubeconfig: string, selector: string, minAvailable: number) {
  const template =
    '{.type}|{.object.metadata.name}|{.object.metadata.deletionTimestamp}|' +
    '{.object.status.conditions[?(@.type=="Ready")].status}{"\\n"}';
  const child = spawn(
    'kubectl',
    [
      '--kubeconfig',
      kubeconfig,
      'get',
      'pods',
      '-l',
      selector,
      '-w',
      '--output-watch-events',
      '-o',
      `jsonpath=${template}`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const ready = new Map<string, boolean>();
  const result = { armed: false, readyTransitions: 0, violations: [] as string[], stop: () => child.kill() };
  createInterface({ input: child.stdout }).on('line', (line) => {
    const [type, name, deletionTimestamp, readyStatus] = line.split('|');
    if (!name) return;
    const available = type !== 'DELETED' && !deletionTimestamp && readyStatus === 'True';
    if (available && !ready.get(name) && result.armed) result.readyTransitions++;
    ready.set(name, available);
    const count = [...ready.values()].filter(Boolean).length;
    if (count >= minAvailable) result.armed = true;
    else if (result.armed) result.violations.push(`${count} available after: ${line}`);
  });
  return result;
}

// The same suite in both process layouts: the default (control plane in one process, one process
// per node) and --split (every component its own process from its package's bin).
(isRoot && hasKubectl
  ? describe.each([[[] as string[]], [['--split']]])
  : describe.skip.each([[[] as string[]]]))('keelson cluster end to end %j', (modeArgs: string[]) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keelson-e2e-'));
  const kubeconfig = join(dataDir, 'kubeconfig');
  const kubectl = kubectlFor(kubeconfig, 180_000);
  const apply = async (yaml: string) => {
    const f = join(dataDir, `m-${Date.now()}-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(f, yaml);
    return kubectl('apply', '-f', f);
  };
  const until = <T>(what: string, fn: () => Promise<T | undefined | null | false>, ms = 120_000) =>
    waitUntil(what, fn, ms, 1000);
  let clusterId = '';

  beforeAll(async () => {
    const [api, grpc] = [await freePort(), await freePort()];
    const up = await run(
      keelson,
      [
        'up',
        ...modeArgs,
        '--data-dir',
        dataDir,
        '--nodes',
        '2',
        '--api-port',
        String(api),
        '--grpc-port',
        String(grpc),
        '--timeout',
        '240',
        // Grace periods shortened with the upstream flag names, for the node failure case.
        '--node-monitor-grace-period',
        '10s',
        '--default-unreachable-toleration-seconds',
        '10',
        '--default-not-ready-toleration-seconds',
        '10',
      ],
      { timeout: 300_000 },
    );
    expect(up.stdout).toContain(`export KUBECONFIG=${kubeconfig}`);
    clusterId = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8')).id;
  }, 320_000);

  afterAll(async () => {
    if (existsSync(join(dataDir, 'state.json')))
      await run(keelson, ['down', '--data-dir', dataDir], { timeout: 180_000 }).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }, 200_000);

  it('answers kubectl get nodes, cluster-info and the kube-dns Service', async () => {
    const nodes = await kubectl('get', 'nodes', '--no-headers');
    expect(
      nodes
        .trim()
        .split('\n')
        .filter((l) => /\sReady\s/.test(l)),
    ).toHaveLength(2);
    expect(
      await kubectl('get', 'svc', '-n', 'kube-system', 'kube-dns', '-o', 'jsonpath={.spec.clusterIP}'),
    ).toBe('10.96.0.10');
    expect(await kubectl('cluster-info')).toContain('is running at');
  });

  it('reports every component healthy: componentstatuses, each /healthz and /metrics, keelson status', async () => {
    const cs = await kubectl('get', 'componentstatuses', '--no-headers');
    for (const name of ['scheduler', 'controller-manager', 'etcd-0'])
      expect(cs).toMatch(new RegExp(`^${name}\\s+Healthy\\s+ok`, 'm'));
    const state = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8'));
    const metricOf: Record<string, string> = {
      apiserver: 'apiserver_request_total',
      scheduler: 'scheduler_schedule_attempts_total',
      'controller-manager': 'workqueue_adds_total',
      dns: 'keelson_dns_queries_total',
      kubelet: 'kubelet_running_pods',
      proxy: 'kubeproxy_sync_proxy_rules_duration_seconds',
    };
    const endpoints = (
      state.endpoints as Array<{ name: string; healthUrl: string; metricsUrl?: string }>
    ).filter((e) => e.metricsUrl);
    expect(endpoints.map((e) => e.name).sort()).toEqual([
      'apiserver',
      'controller-manager',
      'dns',
      'kubelet',
      'kubelet',
      'proxy',
      'proxy',
      'scheduler',
    ]);
    for (const e of endpoints) {
      await until(
        `${e.name} at ${e.healthUrl}/healthz`,
        async () => {
          const res = await fetch(`${e.healthUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
          return res.status === 200 && (await res.text()) === 'ok';
        },
        60_000,
      );
      const text = await (
        await fetch(`${e.metricsUrl}/metrics`, { signal: AbortSignal.timeout(5000) })
      ).text();
      expect(text).toMatch(new RegExp(`^# TYPE ${metricOf[e.name]} `, 'm'));
      expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    }
    const status = (await run(keelson, ['status', '--data-dir', dataDir], { timeout: 60_000 })).stdout;
    for (const name of ['apiserver', 'scheduler', 'controller-manager', 'dns', 'kubelet', 'proxy', 'runtime'])
      expect(status).toMatch(new RegExp(`^${name}\\s.*\\shealthy(\\s|$)`, 'm'));
    expect(status).not.toContain('UNHEALTHY');
  });

  it('serves a Deployment behind a Service by DNS name, ClusterIP and NodePort', async () => {
    await apply(`
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: httpd
        image: busybox
        command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && echo serving $(hostname) && exec httpd -f -p 80 -h /www"]
        ports: [{ containerPort: 80 }]
        readinessProbe: { httpGet: { path: /, port: 80 }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  type: NodePort
  selector: { app: web }
  ports: [{ port: 80, targetPort: 80 }]
`);
    await kubectl('rollout', 'status', 'deployment/web', '--timeout=120s');
    await kubectl(
      'run',
      'client',
      '--image=busybox',
      '--restart=Never',
      '--',
      'sh',
      '-c',
      'for i in $(seq 1 30); do wget -qO- http://web; done; nslookup web.default.svc.cluster.local; wget -qO- http://kubernetes.default:443/version',
    );
    await until(
      'client pod completes',
      async () => (await kubectl('get', 'pod', 'client', '-o', 'jsonpath={.status.phase}')) === 'Succeeded',
    );
    const out = await kubectl('logs', 'client');
    const hosts = new Set(out.split('\n').filter((l) => l.startsWith('web-')));
    expect(hosts.size).toBeGreaterThanOrEqual(2);
    expect(out).toMatch(/Name:\s+web\.default\.svc\.cluster\.local/);
    // Pods reach the apiserver through the `kubernetes` Service.
    expect(out).toContain('"gitVersion":"v1.32.0-keelson"');
    const nodePort = await kubectl('get', 'svc', 'web', '-o', 'jsonpath={.spec.ports[0].nodePort}');
    const nodeIP = await kubectl(
      'get',
      'nodes',
      '-o',
      'jsonpath={.items[0].status.addresses[?(@.type=="InternalIP")].address}',
    );
    const res = await fetch(`http://${nodeIP}:${nodePort}/`, { signal: AbortSignal.timeout(5000) });
    expect((await res.text()).trim()).toMatch(/^web-/);
  }, 240_000);

  it('rolls out a new template, undoes it, and scales', async () => {
    // 3 replicas with the default strategy (maxUnavailable 25% rounds down to 0, maxSurge 25% up
    // to 1): no watch event may ever show fewer than 3 available pods during the rollouts.
    const availability = watchAvailability(kubeconfig, 'app=web', 3);
    try {
      await kubectl('set', 'image', 'deployment/web', 'httpd=busybox:latest');
      await kubectl('rollout', 'status', 'deployment/web', '--timeout=120s');
      expect(
        await kubectl('get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'),
      ).toBe('busybox:latest');
      await kubectl('rollout', 'undo', 'deployment/web');
      await kubectl('rollout', 'status', 'deployment/web', '--timeout=120s');
      expect(
        await kubectl('get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'),
      ).toBe('busybox');
    } finally {
      availability.stop();
    }
    expect(availability.armed).toBe(true);
    // Both rollouts replaced every pod: at least 6 pods became ready after the watch started.
    expect(availability.readyTransitions).toBeGreaterThanOrEqual(6);
    expect(availability.violations).toEqual([]);
    await kubectl('scale', 'deployment/web', '--replicas=5');
    await until(
      '5 ready replicas',
      async () => (await kubectl('get', 'deploy', 'web', '-o', 'jsonpath={.status.readyReplicas}')) === '5',
    );
    const placed = (
      await kubectl(
        'get',
        'pods',
        '-l',
        'app=web',
        '-o',
        'jsonpath={range .items[*]}{.spec.nodeName}{"\\n"}{end}',
      )
    )
      .trim()
      .split('\n');
    expect(new Set(placed)).toEqual(new Set(['node1', 'node2']));
  }, 300_000);

  it('runs the architecture document Job to Complete, the memory demo, and OOMKills an overuser', async () => {
    await apply(`
apiVersion: batch/v1
kind: Job
metadata: { name: hello }
spec:
  template:
    spec:
      containers:
      - name: hello
        image: busybox
        command: ['sh', '-c', 'echo "Hello, Kubernetes!" && sleep 1']
      restartPolicy: OnFailure
---
apiVersion: v1
kind: Pod
metadata: { name: memory-demo }
spec:
  containers:
  - name: memory-demo-ctr
    image: busybox
    command: ["sh", "-c", "sleep 3600"]
    resources: { limits: { memory: "200Mi" }, requests: { memory: "100Mi" } }
---
apiVersion: v1
kind: Pod
metadata: { name: memory-hog }
spec:
  restartPolicy: Never
  containers:
  - name: hog
    image: busybox
    command: ["sh", "-c", "x=a; while true; do x=$x$x; done"]
    resources: { limits: { memory: "32Mi" } }
`);
    await kubectl('wait', '--for=condition=complete', 'job/hello', '--timeout=120s');
    expect(await kubectl('logs', 'job/hello')).toContain('Hello, Kubernetes!');
    await kubectl('wait', '--for=condition=Ready', 'pod/memory-demo', '--timeout=120s');
    await until(
      'memory-hog terminated',
      async () => (await kubectl('get', 'pod', 'memory-hog', '-o', 'jsonpath={.status.phase}')) === 'Failed',
    );
    expect(
      await kubectl(
        'get',
        'pod',
        'memory-hog',
        '-o',
        'jsonpath={.status.containerStatuses[0].state.terminated.reason}',
      ),
    ).toBe('OOMKilled');
  }, 300_000);

  it('streams logs and runs exec in a pod on the second node', async () => {
    const pod = await kubectl(
      'get',
      'pods',
      '-l',
      'app=web',
      '--field-selector',
      'spec.nodeName=node2',
      '-o',
      'jsonpath={.items[0].metadata.name}',
    );
    expect(pod).toMatch(/^web-/);
    expect((await kubectl('logs', pod)).trim()).toBe(`serving ${pod}`);
    expect((await kubectl('exec', pod, '--', 'cat', '/www/index.html')).trim()).toBe(pod);
    expect(await kubectl('exec', pod, '--', 'sh', '-c', 'echo out; echo err 1>&2; exit 0')).toBe('out\n');
  }, 60_000);

  it('forwards a local port to a pod on the second node and attaches stdin (kubectl port-forward, run -i)', async () => {
    const pod = await kubectl(
      'get',
      'pods',
      '-l',
      'app=web',
      '--field-selector',
      'spec.nodeName=node2',
      '-o',
      'jsonpath={.items[0].metadata.name}',
    );
    const port = await freePort();
    const pf = spawn('kubectl', ['--kubeconfig', kubeconfig, 'port-forward', `pod/${pod}`, `${port}:80`], {
      stdio: 'ignore',
    });
    try {
      const body = await until(
        'port-forward answers',
        async () => (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(3000) })).text(),
        30_000,
      );
      expect(body.trim()).toBe(pod);
    } finally {
      pf.kill(); // by the PID of the process this test started
    }
    // `kubectl run -i`: the line written to kubectl's stdin reaches the container's stdin.
    const attached = await new Promise<string>((resolve, reject) => {
      const p = spawn(
        'kubectl',
        [
          '--kubeconfig',
          kubeconfig,
          'run',
          'stdin-check',
          '-i',
          '--rm',
          '--restart=Never',
          '--image=busybox',
          '--',
          'sh',
          '-c',
          'read line; echo got-$line',
        ],
        { stdio: ['pipe', 'pipe', 'inherit'] },
      );
      let out = '';
      const timer = setTimeout(() => p.kill(), 90_000);
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.on('error', reject);
      p.on('close', () => {
        clearTimeout(timer);
        resolve(out);
      });
      p.stdin.end('hello\n');
    });
    expect(attached).toContain('got-hello');
  }, 150_000);

  it('builds an image with keelson image build and runs a pod from it on each node', async () => {
    const ctx = mkdtempSync(join(tmpdir(), 'keelson-e2e-build-'));
    try {
      writeFileSync(join(ctx, 'msg.txt'), 'hello from the build context\n');
      writeFileSync(
        join(ctx, 'Dockerfile'),
        [
          'FROM busybox',
          'ARG FLAVOUR=plain',
          'WORKDIR /app',
          'COPY msg.txt .',
          'RUN echo "RUN made this ($FLAVOUR)" > made.txt',
          'CMD ["sh", "-c", "cat msg.txt made.txt"]',
        ].join('\n'),
      );
      const built = await run(
        keelson,
        ['image', 'build', ctx, '--tag', 'e2e-built:1', '--build-arg', 'FLAVOUR=e2e', '--data-dir', dataDir],
        { timeout: 120_000 },
      );
      expect(built.stdout).toContain('docker.io/library/e2e-built:1 loaded on node1, node2');
      expect((await run(keelson, ['image', 'ls', '--data-dir', dataDir])).stdout).toContain(
        'docker.io/library/e2e-built:1',
      );
      for (const node of ['node1', 'node2']) {
        await apply(
          `apiVersion: v1\nkind: Pod\nmetadata:\n  name: built-${node}\nspec:\n  nodeName: ${node}\n  restartPolicy: Never\n  containers:\n  - name: app\n    image: e2e-built:1\n    imagePullPolicy: ${node === 'node1' ? 'IfNotPresent' : 'Never'}\n`,
        );
      }
      for (const node of ['node1', 'node2']) {
        await until(
          `built-${node} Succeeded`,
          async () =>
            (await kubectl('get', 'pod', `built-${node}`, '-o', 'jsonpath={.status.phase}')) === 'Succeeded',
          60_000,
        );
        expect(await kubectl('logs', `built-${node}`)).toBe(
          'hello from the build context\nRUN made this (e2e)\n',
        );
      }
      await kubectl('delete', 'pod', 'built-node1', 'built-node2', '--wait=false');
    } finally {
      rmSync(ctx, { recursive: true, force: true });
    }
  }, 150_000);
  it('keeps a StatefulSet volume (local-path) across pod recreation and reclaims it with the claim', async () => {
    await apply(`
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: store}
spec:
  serviceName: store
  replicas: 1
  selector: {matchLabels: {app: store}}
  template:
    metadata: {labels: {app: store}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: busybox:latest
        imagePullPolicy: IfNotPresent
        command: [sh, -c, 'if [ ! -f /data/first ]; then hostname > /data/first; fi; exec sleep 3600']
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 64Mi}}}
`);
    const running = async () =>
      (await kubectl('get', 'pod', 'store-0', '-o', 'jsonpath={.status.phase}')) === 'Running';
    await until('store-0 Running', running);
    const pvc = await kubectl('get', 'pvc', 'data-store-0', '--no-headers');
    expect(pvc).toMatch(/^data-store-0\s+Bound\s+pvc-\S+\s+64Mi\s+RWO\s+local-path\s/);
    expect(await kubectl('get', 'sc', '--no-headers')).toMatch(
      /^local-path \(default\)\s+rancher\.io\/local-path\s+Delete\s+WaitForFirstConsumer/,
    );
    const uid = await kubectl('get', 'pod', 'store-0', '-o', 'jsonpath={.metadata.uid}');
    const node = await kubectl('get', 'pod', 'store-0', '-o', 'jsonpath={.spec.nodeName}');
    expect((await kubectl('exec', 'store-0', '--', 'cat', '/data/first')).trim()).toBe('store-0');
    await kubectl('exec', 'store-0', '--', 'sh', '-c', 'echo again > /data/second');
    await kubectl('delete', 'pod', 'store-0');
    await until(
      'store-0 recreated',
      async () =>
        (await running()) &&
        (await kubectl('get', 'pod', 'store-0', '-o', 'jsonpath={.metadata.uid}')) !== uid,
    );
    // the volume's node affinity brings the pod back to its node, and the data is there
    expect(await kubectl('get', 'pod', 'store-0', '-o', 'jsonpath={.spec.nodeName}')).toBe(node);
    expect(await kubectl('exec', 'store-0', '--', 'cat', '/data/first', '/data/second')).toBe(
      'store-0\nagain\n',
    );
    const path = await kubectl('get', 'pv', '-o', 'jsonpath={.items[0].spec.hostPath.path}');
    expect(path.startsWith(join(dataDir, 'nodes', node, 'storage', 'pvc-'))).toBe(true);
    expect(existsSync(join(path, 'second'))).toBe(true);
    // The claim outlives the set; deleting it deletes the volume (reclaimPolicy Delete) and its directory.
    await kubectl('delete', 'statefulset', 'store');
    await until(
      'store-0 gone',
      async () => (await kubectl('get', 'pods', '-l', 'app=store', '-o', 'name')) === '',
    );
    expect(await kubectl('get', 'pvc', '-o', 'name')).toBe('persistentvolumeclaim/data-store-0\n');
    await kubectl('delete', 'pvc', 'data-store-0');
    await until('volume deleted', async () => (await kubectl('get', 'pv', '-o', 'name')) === '', 60_000);
    expect(existsSync(path)).toBe(false);
  }, 240_000);

  it('recreates the pods of a stopped node on the remaining node; the Service keeps answering', async () => {
    const onNode2 = async () =>
      (
        await kubectl('get', 'pods', '-l', 'app=web', '--field-selector', 'spec.nodeName=node2', '-o', 'name')
      ).trim();
    expect(await onNode2()).not.toBe('');
    await run(keelson, ['node', 'stop', 'node2', '--data-dir', dataDir]);
    await until(
      'node2 not Ready',
      async () =>
        (await kubectl(
          'get',
          'node',
          'node2',
          '-o',
          'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
        )) !== 'True',
    );
    // Replacements for the evicted pods run on node1; the evicted ones stay Terminating until node2 returns (as upstream).
    await until(
      'five live web pods on node1',
      async () => {
        const pods = JSON.parse(await kubectl('get', 'pods', '-l', 'app=web', '-o', 'json')).items as Array<{
          metadata: { deletionTimestamp?: string };
          spec: { nodeName?: string };
          status: { conditions?: Array<{ type: string; status: string }> };
        }>;
        return (
          pods.filter(
            (p) =>
              !p.metadata.deletionTimestamp &&
              p.spec.nodeName === 'node1' &&
              p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
          ).length === 5
        );
      },
      180_000,
    );
    await kubectl(
      'run',
      'client2',
      '--image=busybox',
      '--restart=Never',
      '--overrides',
      '{"spec":{"nodeName":"node1"}}',
      '--',
      'wget',
      '-qO-',
      'http://web',
    );
    await until(
      'client2 completes',
      async () => (await kubectl('get', 'pod', 'client2', '-o', 'jsonpath={.status.phase}')) === 'Succeeded',
    );
    expect((await kubectl('logs', 'client2')).trim()).toMatch(/^web-/);
    await run(keelson, ['node', 'start', 'node2', '--data-dir', dataDir]);
    await until(
      'node2 Ready again',
      async () =>
        (await kubectl(
          'get',
          'node',
          'node2',
          '-o',
          'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
        )) === 'True',
    );
    await until('terminating pods of node2 are gone', async () => (await onNode2()) === '', 120_000);
  }, 400_000);

  it('deletes everything in a deleted namespace', async () => {
    await kubectl('create', 'namespace', 'scratch');
    await kubectl(
      '-n',
      'scratch',
      'create',
      'deployment',
      'sleeper',
      '--image=busybox',
      '--',
      'sleep',
      '3600',
    );
    await kubectl('-n', 'scratch', 'create', 'configmap', 'cm', '--from-literal=a=b');
    await until(
      'sleeper running',
      async () =>
        (await kubectl('-n', 'scratch', 'get', 'pods', '-o', 'jsonpath={.items[0].status.phase}')) ===
        'Running',
    );
    await kubectl('delete', 'namespace', 'scratch', '--timeout=120s');
    await until('namespace gone', async () => !(await kubectl('get', 'ns')).includes('scratch'));
  }, 200_000);

  it('keelson down leaves nothing behind', async () => {
    const state = JSON.parse(readFileSync(join(dataDir, 'state.json'), 'utf8'));
    await run(keelson, ['down', '--data-dir', dataDir], { timeout: 180_000 });
    const pids = [state.supervisorPid, ...state.nodes.map((n: { pid?: number }) => n.pid)].filter(Boolean);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    expect((await run('ip', ['link'])).stdout).not.toContain(`kb-${clusterId}`);
    expect((await run('nft', ['list', 'tables'])).stdout).not.toContain(`keelson-${clusterId}`);
    // CNI's masquerade rules for this cluster's pods (other clusters on the machine may have their own).
    const nat = (await run('iptables-save', ['-t', 'nat'])).stdout;
    for (const n of state.nodes as Array<{ podCIDR: string }>) {
      const prefix = n.podCIDR.replace(/\.0\/24$/, '.').replace(/\./g, '\\.');
      expect(nat).not.toMatch(new RegExp(`-s ${prefix}\\d+/32 .*-j CNI-`));
    }
    for (const h of ['memory', 'cpu', 'pids'])
      expect(existsSync(`/sys/fs/cgroup/${h}/keelson-${clusterId}`)).toBe(false);
    expect(readdirSync('/var/run/netns').filter((n) => n.includes(clusterId))).toEqual([]);
    expect((await run('mount', [])).stdout).not.toContain(dataDir);
  }, 200_000);
});

if (!isRoot || !hasKubectl) console.log('skipped: the end-to-end suite needs root and kubectl');
