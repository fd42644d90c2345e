// The real kubectl (v1.32 dispatcher at /usr/bin/kubectl) against an in-process apiserver.
import { existsSync } from 'node:fs';
import { KUBECTL, startTestServer, waitFor, type TestServer } from './helpers';

const NGINX = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
  labels:
    app: nginx
spec:
  replicas: 3
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.14.2
        ports:
        - containerPort: 80
`;

const NS_AND_CM = `apiVersion: v1
kind: Namespace
metadata:
  name: web
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: web
data:
  color: blue
`;

const suite = existsSync(KUBECTL) ? describe : describe.skip;
if (!existsSync(KUBECTL)) console.log(`skipped: ${KUBECTL} not installed`);

suite('kubectl against keelson-apiserver', () => {
  let t: TestServer;
  const ok = async (args: string[], stdin?: string) => {
    const r = await t.kubectl(args, stdin);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('reports version 1.32 and serves discovery', async () => {
    const out = JSON.parse(await ok(['version', '-o', 'json']));
    expect(out.serverVersion.major).toBe('1');
    expect(out.serverVersion.minor).toBe('32');
    const res = await ok(['api-resources', '--no-headers']);
    expect(res).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    expect(res).toMatch(/^pods\s+po\s+v1\s+true\s+Pod$/m);
  });

  it('explains fields from the OpenAPI v3 schema', async () => {
    const out = await ok(['explain', 'deployment.spec.replicas']);
    expect(out).toMatch(/KIND:\s+Deployment/);
    expect(out).toMatch(/FIELD:\s+replicas\s+<integer>/);
  });

  it('applies a namespace, a ConfigMap and the nginx Deployment', async () => {
    expect(await ok(['apply', '-f', t.writeFile('ns.yaml', NS_AND_CM)])).toMatch(
      /namespace\/web created[\s\S]*configmap\/settings created/,
    );
    expect(await ok(['apply', '-f', t.writeFile('nginx.yaml', NGINX)])).toContain(
      'deployment.apps/nginx-deployment created',
    );
    // re-apply with a change goes through the strategic merge patch path
    expect(
      await ok(['apply', '-f', t.writeFile('nginx2.yaml', NGINX.replace('replicas: 3', 'replicas: 2'))]),
    ).toContain('deployment.apps/nginx-deployment configured');
    const d = JSON.parse(await ok(['get', 'deploy', 'nginx-deployment', '-o', 'json']));
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.template.spec.containers).toHaveLength(1);
    expect(d.metadata.generation).toBe(2);
    expect(d.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain(
      '"replicas":2',
    );
    expect(await ok(['get', 'cm', 'settings', '-n', 'web', '-o', 'jsonpath={.data.color}'])).toBe('blue');
  });

  it('prints upstream table columns', async () => {
    const wide = await ok(['get', 'deploy', '-o', 'wide']);
    expect(wide.split('\n')[0].split(/\s{2,}/)).toEqual([
      'NAME',
      'READY',
      'UP-TO-DATE',
      'AVAILABLE',
      'AGE',
      'CONTAINERS',
      'IMAGES',
      'SELECTOR',
    ]);
    expect(wide).toMatch(/nginx-deployment\s+0\/2\s+0\s+0\s+\S+\s+nginx\s+nginx:1\.14\.2\s+app=nginx/);
    const svc = await ok(['get', 'svc', '-A']);
    expect(svc.split('\n')[0].split(/\s{2,}/)).toEqual([
      'NAMESPACE',
      'NAME',
      'TYPE',
      'CLUSTER-IP',
      'EXTERNAL-IP',
      'PORT(S)',
      'AGE',
    ]);
    expect(svc).toMatch(/default\s+kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP/);
    const ns = await ok(['get', 'ns']);
    expect(ns.split('\n')[0].split(/\s{2,}/)).toEqual(['NAME', 'STATUS', 'AGE']);
    expect(ns).toMatch(/kube-system\s+Active/);
    const cm = await ok(['get', 'cm', '-n', 'web']);
    expect(cm.split('\n')[0].split(/\s{2,}/)).toEqual(['NAME', 'DATA', 'AGE']);
  });

  it('prints pods with READY/STATUS/RESTARTS and wide columns', async () => {
    await ok(['run', 'p1', '--image=busybox', '--labels=tier=web', '--', 'sleep', '3600']);
    const out = await ok(['get', 'pods', '-o', 'wide']);
    expect(out.split('\n')[0].split(/\s{2,}/)).toEqual([
      'NAME',
      'READY',
      'STATUS',
      'RESTARTS',
      'AGE',
      'IP',
      'NODE',
      'NOMINATED NODE',
      'READINESS GATES',
    ]);
    expect(out).toMatch(/p1\s+0\/1\s+Pending\s+0\s+\S+\s+<none>\s+<none>\s+<none>\s+<none>/);
    expect(await ok(['get', 'pods', '-l', 'tier=web', '-o', 'name'])).toBe('pod/p1\n');
    expect(await ok(['get', 'pods', '-l', 'tier=db', '-o', 'name'])).toBe('');
    expect(await ok(['get', 'pods', '--field-selector', 'status.phase=Pending', '-o', 'name'])).toBe(
      'pod/p1\n',
    );
    expect(await ok(['get', 'pods', '-A', '--field-selector', 'metadata.namespace=web', '-o', 'name'])).toBe(
      '',
    );
    const y = await ok(['get', 'pod', 'p1', '-o', 'yaml']);
    expect(y).toMatch(/phase: Pending/);
  });

  it('patches with json, merge and strategic patches', async () => {
    await ok([
      'patch',
      'deploy',
      'nginx-deployment',
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/spec/replicas","value":4}]',
    ]);
    await ok([
      'patch',
      'deploy',
      'nginx-deployment',
      '--type=merge',
      '-p',
      '{"metadata":{"labels":{"patched":"merge"}}}',
    ]);
    await ok([
      'patch',
      'deploy',
      'nginx-deployment',
      '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox"}]}}}}',
    ]);
    const d = JSON.parse(await ok(['get', 'deploy', 'nginx-deployment', '-o', 'json']));
    expect(d.spec.replicas).toBe(4);
    expect(d.metadata.labels.patched).toBe('merge');
    expect(d.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual([
      'nginx',
      'sidecar',
    ]);
    const bad = await t.kubectl([
      'patch',
      'deploy',
      'nginx-deployment',
      '--type=json',
      '-p',
      '[{"op":"test","path":"/spec/replicas","value":99}]',
    ]);
    expect(bad.code).not.toBe(0);
  });

  it('scales, labels and annotates', async () => {
    expect(await ok(['scale', 'deploy', 'nginx-deployment', '--replicas=5'])).toContain('scaled');
    await ok(['label', 'deploy', 'nginx-deployment', 'env=test']);
    await ok(['annotate', 'deploy', 'nginx-deployment', 'note=hello']);
    const d = JSON.parse(await ok(['get', 'deploy', 'nginx-deployment', '-o', 'json']));
    expect(d.spec.replicas).toBe(5);
    expect(d.metadata.labels.env).toBe('test');
    expect(d.metadata.annotations.note).toBe('hello');
    const scale = JSON.parse(
      await ok(['get', '--raw', '/apis/apps/v1/namespaces/default/deployments/nginx-deployment/scale']),
    );
    expect(scale).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 5 },
      status: { selector: 'app=nginx' },
    });
  });

  it('get -w sees a change', async () => {
    const child = t.spawnKubectl(['get', 'cm', '-n', 'web', '-w']);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    try {
      await waitFor(() => out.includes('settings'), 15000, 'initial watch output');
      expect(out.split('\n')[0].split(/\s{2,}/)).toEqual(['NAME', 'DATA', 'AGE']);
      await ok(['create', 'configmap', 'second', '-n', 'web', '--from-literal=a=1', '--from-literal=b=2']);
      await waitFor(() => /second\s+2\s+/.test(out), 15000, 'watch event for the new ConfigMap');
    } finally {
      child.kill();
    }
  });

  it('creates objects from kubectl generators (protobuf request bodies)', async () => {
    await ok(['create', 'deployment', 'gen', '--image=busybox:1.36', '--replicas=2', '--port=8080']);
    await ok(['create', 'service', 'clusterip', 'gen', '--tcp=80:8080']);
    await ok(['create', 'secret', 'generic', 'gen', '--from-literal=k=v']);
    await ok(['create', 'serviceaccount', 'gen']);
    await ok(['create', 'job', 'gen', '--image=busybox', '--', 'true']);
    const d = JSON.parse(await ok(['get', 'deploy', 'gen', '-o', 'json']));
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.selector.matchLabels).toEqual({ app: 'gen' });
    expect(d.spec.template.spec.containers[0]).toMatchObject({
      name: 'busybox',
      image: 'busybox:1.36',
      ports: [{ containerPort: 8080, protocol: 'TCP' }],
    });
    expect(d.metadata.creationTimestamp).toMatch(/Z$/);
    const svc = JSON.parse(await ok(['get', 'svc', 'gen', '-o', 'json']));
    expect(svc.spec.ports[0]).toMatchObject({ port: 80, targetPort: 8080, protocol: 'TCP' });
    expect(svc.spec.clusterIP).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\./);
    expect(
      Buffer.from(JSON.parse(await ok(['get', 'secret', 'gen', '-o', 'json'])).data.k, 'base64').toString(),
    ).toBe('v');
    const job = JSON.parse(await ok(['get', 'job', 'gen', '-o', 'json']));
    expect(job.spec.template.spec.containers[0].command).toEqual(['true']);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    await ok(['delete', 'deploy,svc,secret,sa,job', 'gen']);
  });

  it('edits, applies server-side and orphans on delete', async () => {
    const env = { EDITOR: `sed -i s/color:\\ blue/color:\\ green/` };
    const r = await t.kubectl(['edit', 'cm', 'settings', '-n', 'web'], undefined, env);
    expect(r.stderr).toBe('');
    expect(await ok(['get', 'cm', 'settings', '-n', 'web', '-o', 'jsonpath={.data.color}'])).toBe('green');
    await ok(['patch', 'cm', 'settings', '-n', 'web', '--type=merge', '-p', '{"data":{"color":"blue"}}']);
    const ssa = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: web\ndata:\n  k: v1\n`;
    expect(await ok(['apply', '--server-side', '-f', '-'], ssa)).toContain('serverside-applied');
    expect(await ok(['apply', '--server-side', '-f', '-'], ssa.replace('k: v1', 'k: v2'))).toContain(
      'serverside-applied',
    );
    expect(await ok(['get', 'cm', 'ssa', '-n', 'web', '-o', 'jsonpath={.data.k}'])).toBe('v2');
    await ok(['create', 'deployment', 'orphaner', '--image=busybox']);
    await ok(['delete', 'deploy', 'orphaner', '--cascade=orphan', '--wait=false']);
    expect(await ok(['get', 'deploy', 'orphaner', '-o', 'jsonpath={.metadata.finalizers}'])).toBe(
      '["orphan"]',
    );
  });

  it('get -w on pods prints Table rows for new pods', async () => {
    const child = t.spawnKubectl(['get', 'pods', '-w']);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    try {
      await waitFor(() => out.includes('p1'), 15000, 'initial pod list');
      await ok(['run', 'p2', '--image=busybox']);
      await waitFor(() => /p2\s+0\/1\s+Pending\s+0\s+/.test(out), 15000, 'the new pod in the watch');
      expect(out.split('\n')[0].split(/\s{2,}/)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    } finally {
      child.kill();
    }
    await ok(['delete', 'pod', 'p2']);
  });

  it('rejects a stale update with 409 Conflict', async () => {
    const cm = JSON.parse(await ok(['get', 'cm', 'settings', '-n', 'web', '-o', 'json']));
    await ok(['label', 'cm', 'settings', '-n', 'web', 'bump=1']);
    cm.data.color = 'red';
    const r = await t.kubectl(['replace', '-f', '-'], JSON.stringify(cm));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'the object has been modified; please apply your changes to the latest version and try again',
    );
    expect(await ok(['get', 'cm', 'settings', '-n', 'web', '-o', 'jsonpath={.data.color}'])).toBe('blue');
  });

  it('rejects unknown fields with fieldValidation=Strict', async () => {
    const r = await t.kubectl(
      ['apply', '-f', '-'],
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: strict\n  namespace: web\nbogus: 1\n`,
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('unknown field "bogus"');
  });

  it('deletes objects and namespaces', async () => {
    expect(await ok(['delete', 'deploy', 'nginx-deployment'])).toContain('deleted');
    expect((await t.kubectl(['get', 'deploy', 'nginx-deployment'])).stderr).toContain('NotFound');
    expect(await ok(['delete', 'pod', 'p1'])).toContain('deleted');
    // namespace deletion waits for the namespace controller; --wait=false returns at once
    expect(await ok(['delete', 'ns', 'web', '--wait=false'])).toContain('deleted');
    expect(await ok(['get', 'ns', 'web', '-o', 'jsonpath={.status.phase}'])).toBe('Terminating');
    const r = await t.kubectl(['create', 'configmap', 'late', '-n', 'web']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('because it is being terminated');
  });
});
