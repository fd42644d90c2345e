import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { PAUSE_IMAGE, containerdConfig, containerdLayout, layoutImageName } from './containerd';

describe('containerd config', () => {
  const layout = containerdLayout('/data/nodes/node1');

  it('keeps every path of the node under its own directory', () => {
    const c = parse(containerdConfig(layout)) as any;
    expect(c.version).toBe(2);
    expect(c.root).toBe('/data/nodes/node1/containerd/root');
    expect(c.state).toBe('/data/nodes/node1/containerd/state');
    expect(c.grpc.address).toBe('/data/nodes/node1/containerd/containerd.sock');
    expect(c.ttrpc.address).toBe('/data/nodes/node1/containerd/containerd.sock.ttrpc');
    expect(c.plugins['io.containerd.internal.v1.opt'].path).toBe('/data/nodes/node1/containerd/opt');
    // no shared listeners
    expect(c.debug.address).toBe('');
    expect(c.metrics.address).toBe('');
  });

  it('configures the CRI plugin: local pause image, CNI dirs, overlayfs, runc v2', () => {
    const cri = (parse(containerdConfig(layout)) as any).plugins['io.containerd.grpc.v1.cri'];
    expect(cri.sandbox_image).toBe(PAUSE_IMAGE);
    expect(cri.cni).toEqual({ bin_dir: '/usr/lib/cni', conf_dir: '/data/nodes/node1/containerd/net.d' });
    expect(cri.containerd.snapshotter).toBe('overlayfs');
    expect(cri.containerd.runtimes.runc.runtime_type).toBe('io.containerd.runc.v2');
    expect(cri.containerd.runtimes.runc.options).toBeUndefined();
  });

  it('uses crun as the runc shim binary when asked', () => {
    const cri = (parse(containerdConfig(layout, { ociRuntime: 'crun' })) as any).plugins[
      'io.containerd.grpc.v1.cri'
    ];
    expect(cri.containerd.runtimes.runc.options).toEqual({ BinaryName: 'crun' });
  });

  it('escapes paths with quotes and backslashes', () => {
    const odd = containerdLayout('/data/we"ird\\dir');
    expect((parse(containerdConfig(odd)) as any).root).toBe('/data/we"ird\\dir/containerd/root');
  });
});

describe('layoutImageName', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keelson-layout-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prefers io.containerd.image.name, falls back to the OCI ref name, else undefined', () => {
    const write = (name: string, annotations: Record<string, string>) => {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'index.json'), JSON.stringify({ manifests: [{ annotations }] }));
      return join(dir, name);
    };
    expect(
      layoutImageName(
        write('a', {
          'io.containerd.image.name': 'docker.io/library/busybox:latest',
          'org.opencontainers.image.ref.name': 'latest',
        }),
      ),
    ).toBe('docker.io/library/busybox:latest');
    expect(layoutImageName(write('b', { 'org.opencontainers.image.ref.name': 'x:1' }))).toBe('x:1');
    expect(layoutImageName(join(dir, 'missing'))).toBeUndefined();
  });
});
