/**
 * A throwaway network for proxy tests, all inside network namespaces made for one run:
 * NODE (where the rules go) with a bridge for two backend "pods" BE1/BE2 running HTTP servers,
 * and a CLIENT namespace linked to NODE by a veth pair from outside the pod CIDR.
 * Every name carries a per-run suffix; {@link NetnsFixture.destroy} removes it all.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

let counter = 0;

export interface NetnsFixture {
  node: string;
  client: string;
  backends: Array<{ ns: string; ip: string; name: string }>;
  /** NODE's address on the client link (NodePort target). */
  nodeLinkIP: string;
  /** Runs a Node.js script inside CLIENT and returns its stdout. */
  inClient(script: string): Promise<string>;
  destroy(): void;
}

const sh = (args: string[]) =>
  execFileSync(args[0], args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

/** True when the process can create namespaces (root). */
export const isRoot = () => process.getuid?.() === 0;

/** Builds the network; `subnet` is the third octet used for this run's pod addresses (10.244.<subnet>.0/24). */
export async function createFixture(subnet: number): Promise<NetnsFixture> {
  const id = `${process.pid % 100000}${counter++}`;
  const node = `kpn${id}`;
  const client = `kpc${id}`;
  const bes = [1, 2].map((i) => ({ ns: `kpb${i}${id}`, ip: `10.244.${subnet}.${i + 1}`, name: `be${i}` }));
  const procs: ChildProcess[] = [];
  const made: string[] = [];
  const destroy = () => {
    for (const p of procs) if (p.pid && p.exitCode === null) p.kill('SIGKILL');
    for (const ns of made.reverse()) {
      try {
        sh(['ip', 'netns', 'del', ns]);
      } catch {
        /* already gone */
      }
    }
  };
  try {
    for (const ns of [node, client, ...bes.map((b) => b.ns)]) {
      sh(['ip', 'netns', 'add', ns]);
      made.push(ns);
      sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    }
    const inNode = (...a: string[]) => sh(['ip', 'netns', 'exec', node, ...a]);
    inNode('ip', 'link', 'add', 'br0', 'type', 'bridge');
    inNode('ip', 'addr', 'add', `10.244.${subnet}.1/24`, 'dev', 'br0');
    inNode('ip', 'link', 'set', 'br0', 'up');
    inNode('sysctl', '-qw', 'net.ipv4.ip_forward=1');
    // The node keeps the service range local (DESIGN.md): an unmatched VIP never leaves the node.
    inNode('ip', 'route', 'add', '10.96.0.0/12', 'dev', 'br0');
    bes.forEach((b, i) => {
      const host = `vb${i}${id}`.slice(0, 15);
      sh(['ip', 'link', 'add', host, 'netns', node, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', b.ns]);
      inNode('ip', 'link', 'set', host, 'master', 'br0', 'up');
      sh(['ip', '-n', b.ns, 'addr', 'add', `${b.ip}/24`, 'dev', 'eth0']);
      sh(['ip', '-n', b.ns, 'link', 'set', 'eth0', 'up']);
      sh(['ip', '-n', b.ns, 'route', 'add', 'default', 'via', `10.244.${subnet}.1`]);
    });
    const nodeLinkIP = `10.250.${subnet}.1`;
    sh(['ip', 'link', 'add', 'up0', 'netns', node, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', client]);
    inNode('ip', 'addr', 'add', `${nodeLinkIP}/30`, 'dev', 'up0');
    inNode('ip', 'link', 'set', 'up0', 'up');
    sh(['ip', '-n', client, 'addr', 'add', `10.250.${subnet}.2/30`, 'dev', 'eth0']);
    sh(['ip', '-n', client, 'link', 'set', 'eth0', 'up']);
    sh(['ip', '-n', client, 'route', 'add', 'default', 'via', nodeLinkIP]);

    // Backends: HTTP servers answering with their name.
    for (const b of bes) {
      const p = spawn(
        'ip',
        [
          'netns',
          'exec',
          b.ns,
          process.execPath,
          '-e',
          `require('http').createServer((q,s)=>{s.setHeader('connection','close');s.end('${b.name}')}).listen(8080,'0.0.0.0',()=>console.log('up'))`,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      procs.push(p);
      await new Promise<void>((resolve, reject) => {
        p.stdout!.once('data', () => resolve());
        p.once('exit', (c) => reject(new Error(`backend exited ${c}`)));
      });
    }
    const inClient = (script: string) =>
      new Promise<string>((resolve, reject) => {
        const p = spawn('ip', ['netns', 'exec', client, process.execPath, '-e', script], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        procs.push(p);
        let out = '';
        let err = '';
        p.stdout!.on('data', (d) => (out += d));
        p.stderr!.on('data', (d) => (err += d));
        p.on('exit', (code) =>
          code === 0 ? resolve(out) : reject(new Error(`client script failed: ${err}`)),
        );
      });
    return { node, client, backends: bes, nodeLinkIP, inClient, destroy };
  } catch (err) {
    destroy();
    throw err;
  }
}

/**
 * A client script: `n` fresh TCP connections (HTTP, no keep-alive) to host:port; prints a JSON
 * object counting answers by body, plus "error:<code>" for failures.
 */
export function requestsScript(host: string, port: number, n: number): string {
  return `
const http = require('http');
const counts = {};
const one = () => new Promise((resolve) => {
  const req = http.get({ host: '${host}', port: ${port}, path: '/', agent: false, timeout: 3000 }, (res) => {
    let b = ''; res.on('data', (d) => (b += d)); res.on('end', () => { counts[b] = (counts[b] || 0) + 1; resolve(); });
  });
  req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
  req.on('error', (e) => { const k = 'error:' + e.code; counts[k] = (counts[k] || 0) + 1; resolve(); });
});
(async () => { for (let i = 0; i < ${n}; i++) await one(); console.log(JSON.stringify(counts)); })();`;
}
