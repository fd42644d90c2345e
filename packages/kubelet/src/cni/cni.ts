/**
 * Pod networking through the standard CNI plugins, invoked per the CNI spec 1.0.0: each plugin of
 * a network configuration list is executed with CNI_COMMAND / CNI_CONTAINERID / CNI_NETNS /
 * CNI_IFNAME / CNI_PATH in its environment and its configuration (plus name, cniVersion and, after
 * the first plugin, prevResult) on stdin; ADD runs the plugins in order, DEL in reverse order with
 * the cached ADD result as prevResult (as libcni does). Loopback is set up as its own network on
 * "lo", the way containerd does it. Capability arguments (CNI spec "Dynamic plugin specific
 * fields", conventions.md: `portMappings`) go into `runtimeConfig` of exactly the plugins whose
 * `capabilities` declare them, on ADD and again on DEL.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CniError } from '../errors';

/** The file name of the configuration the kubelet writes itself. */
const OWN_CONFIG = '10-keelson.conflist';

/** One plugin configuration inside a conflist. */
export type CniPluginConf = Record<string, unknown> & { type: string };

/** A CNI network configuration list (CNI spec 1.0.0, section "Configuration format"). */
export interface CniConfList {
  cniVersion: string;
  name: string;
  plugins: CniPluginConf[];
}

/** The parts of a CNI 1.0.0 success result the kubelet reads. */
export interface CniResult {
  cniVersion?: string;
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
  ips?: { address: string; gateway?: string; interface?: number }[];
  routes?: { dst: string; gw?: string }[];
  dns?: Record<string, unknown>;
}

/** A host port mapping as the `portMappings` capability carries it (CNI conventions.md). */
export interface CniPortMapping {
  hostPort: number;
  containerPort: number;
  /** "tcp", "udp" or "sctp". */
  protocol: string;
  /** Host address to bind; absent for all. */
  hostIP?: string;
}

/** Capability arguments of one ADD/DEL (CNI conventions.md, "Well-known Capabilities"). */
export interface CniCapabilityArgs {
  portMappings?: CniPortMapping[];
}

/** Options for the kubelet's default pod network. */
export interface DefaultNetworkOptions {
  /** The node's pod CIDR, e.g. "10.244.1.0/24". */
  podCidr: string;
  /** Linux bridge name (≤ 15 chars), unique per node, e.g. "kbr-node1". */
  bridge: string;
  /** host-local IPAM state directory. */
  ipamDataDir: string;
  /** Network name. Default "keelson". */
  name?: string;
}

/**
 * The kubelet's default network: bridge (isGateway, ipMasq, hairpinMode) with host-local IPAM
 * over the node's pod CIDR and a default route via the bridge, then portmap for containers'
 * `hostPort`s (the `portMappings` capability, as upstream's reference conflist has it).
 */
export function defaultConfList(o: DefaultNetworkOptions): CniConfList {
  return {
    cniVersion: '1.0.0',
    name: o.name ?? 'keelson',
    plugins: [
      {
        type: 'bridge',
        bridge: o.bridge,
        isGateway: true,
        ipMasq: true,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: o.podCidr }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: o.ipamDataDir,
        },
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ],
  };
}

/** The loopback network (CNI "loopback" plugin on interface "lo"). */
export const loopbackConfList: CniConfList = {
  cniVersion: '1.0.0',
  name: 'cni-loopback',
  plugins: [{ type: 'loopback' }],
};

/** Extracts the first IPv4 address (without prefix length) from a CNI result; undefined if none. */
export function podIpFromResult(result: CniResult): string | undefined {
  for (const ip of result.ips ?? []) {
    const addr = ip.address.split('/')[0]!;
    if (addr.includes('.')) return addr;
  }
  const any = result.ips?.[0]?.address;
  return any ? any.split('/')[0] : undefined;
}

/**
 * Runs one CNI plugin binary. Resolves with the parsed stdout (empty object for no output);
 * rejects with {@link CniError} carrying the spec's error code/msg when the plugin fails.
 */
export function execPlugin(
  binDirs: string[],
  conf: Record<string, unknown> & { type: string },
  env: {
    command: 'ADD' | 'DEL' | 'CHECK' | 'VERSION';
    containerId: string;
    netns: string;
    ifname: string;
    args?: string;
  },
): Promise<Record<string, unknown>> {
  const bin = binDirs.map((d) => join(d, conf.type)).find((p) => existsSync(p));
  if (!bin)
    return Promise.reject(new CniError(conf.type, env.command, `plugin not found in ${binDirs.join(':')}`));
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [], {
      env: {
        PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
        CNI_COMMAND: env.command,
        CNI_CONTAINERID: env.containerId,
        CNI_NETNS: env.netns,
        CNI_IFNAME: env.ifname,
        CNI_PATH: binDirs.join(':'),
        ...(env.args ? { CNI_ARGS: env.args } : {}),
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new CniError(conf.type, env.command, e.message)));
    child.on('close', (code) => {
      const text = Buffer.concat(out).toString('utf8').trim();
      let parsed: Record<string, unknown> = {};
      try {
        parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        /* non-JSON output */
      }
      if (code !== 0) {
        const msg =
          (parsed.msg as string) ?? (text || Buffer.concat(err).toString('utf8').trim() || `exit ${code}`);
        const details = parsed.details ? `: ${parsed.details as string}` : '';
        reject(new CniError(conf.type, env.command, msg + details, parsed.code as number | undefined));
        return;
      }
      resolve(parsed);
    });
    child.stdin.end(JSON.stringify(conf));
  });
}

/** Executes CNI network configuration lists for pod sandboxes and caches ADD results. */
export class CniManager {
  /**
   * @param confDir directory of *.conflist files (the kubelet writes its default if absent)
   * @param binDirs plugin directories (CNI_PATH), default ["/usr/lib/cni", "/opt/cni/bin"]
   * @param cacheDir where ADD results are kept for DEL/CHECK
   */
  constructor(
    private readonly confDir: string,
    private readonly cacheDir: string,
    private readonly binDirs: string[] = ['/usr/lib/cni', '/opt/cni/bin'],
  ) {}

  /**
   * Writes `list` as `<confDir>/10-keelson.conflist` unless another configuration exists there
   * (a user's network wins); a 10-keelson.conflist of an older kubelet is brought up to date.
   */
  async ensureConfig(list: CniConfList): Promise<void> {
    await mkdir(this.confDir, { recursive: true });
    const existing = (await readdir(this.confDir)).filter(
      (f) => f.endsWith('.conflist') || f.endsWith('.conf'),
    );
    if (existing.some((f) => f !== OWN_CONFIG)) return;
    const text = JSON.stringify(list, null, 2) + '\n';
    const path = join(this.confDir, OWN_CONFIG);
    if (existing.length && (await readFile(path, 'utf8')) === text) return;
    await writeFile(path, text);
  }

  /** The first configuration list in confDir (lexical order), as libcni picks the default network. */
  async loadConfig(): Promise<CniConfList> {
    const files = (await readdir(this.confDir))
      .filter((f) => f.endsWith('.conflist') || f.endsWith('.conf'))
      .sort();
    if (!files.length) throw new CniError('-', 'load', `no network configuration in ${this.confDir}`);
    const raw = JSON.parse(await readFile(join(this.confDir, files[0]!), 'utf8')) as Record<string, unknown>;
    if (Array.isArray(raw.plugins)) return raw as unknown as CniConfList;
    // a single .conf: wrap it into a list
    return {
      cniVersion: String(raw.cniVersion ?? '1.0.0'),
      name: String(raw.name ?? 'net'),
      plugins: [raw as CniPluginConf],
    };
  }

  private cacheFile(net: string, containerId: string) {
    return join(this.cacheDir, `${net}-${containerId}.json`);
  }

  private capsFile(net: string, containerId: string) {
    return join(this.cacheDir, `${net}-${containerId}.capabilities.json`);
  }

  private static pluginConf(
    list: CniConfList,
    p: CniPluginConf,
    prevResult?: unknown,
    caps?: CniCapabilityArgs,
  ) {
    const declared = (p.capabilities ?? {}) as Record<string, unknown>;
    const runtimeConfig = Object.fromEntries(
      Object.entries(caps ?? {}).filter(([k, v]) => declared[k] === true && v !== undefined),
    );
    return {
      ...p,
      cniVersion: list.cniVersion,
      name: list.name,
      ...(prevResult ? { prevResult } : {}),
      ...(Object.keys(runtimeConfig).length ? { runtimeConfig } : {}),
    };
  }

  /** ADD of one list; resolves with the final result, cached for DEL/CHECK. */
  async addList(
    list: CniConfList,
    containerId: string,
    netns: string,
    ifname: string,
    args?: string,
    caps?: CniCapabilityArgs,
  ): Promise<CniResult> {
    let prev: Record<string, unknown> | undefined;
    await mkdir(this.cacheDir, { recursive: true });
    // Kept first, so a DEL after a failed ADD still tells portmap what to remove.
    if (caps) await writeFile(this.capsFile(list.name, containerId), JSON.stringify(caps));
    for (const p of list.plugins) {
      prev = await execPlugin(this.binDirs, CniManager.pluginConf(list, p, prev, caps), {
        command: 'ADD',
        containerId,
        netns,
        ifname,
        args,
      });
    }
    await writeFile(this.cacheFile(list.name, containerId), JSON.stringify(prev ?? {}));
    return (prev ?? {}) as CniResult;
  }

  /** DEL of one list, plugins in reverse order; missing netns is allowed (spec: DEL must succeed). */
  async delList(
    list: CniConfList,
    containerId: string,
    netns: string,
    ifname: string,
    args?: string,
  ): Promise<void> {
    let prev: unknown;
    try {
      prev = JSON.parse(await readFile(this.cacheFile(list.name, containerId), 'utf8'));
    } catch {
      prev = undefined;
    }
    let caps: CniCapabilityArgs | undefined;
    try {
      caps = JSON.parse(await readFile(this.capsFile(list.name, containerId), 'utf8')) as CniCapabilityArgs;
    } catch {
      caps = undefined;
    }
    for (const p of [...list.plugins].reverse()) {
      await execPlugin(this.binDirs, CniManager.pluginConf(list, p, prev, caps), {
        command: 'DEL',
        containerId,
        netns,
        ifname,
        args,
      });
    }
    await rm(this.cacheFile(list.name, containerId), { force: true });
    await rm(this.capsFile(list.name, containerId), { force: true });
  }

  /** CHECK of one list with the cached result; rejects if the plugin reports a problem. */
  async checkList(list: CniConfList, containerId: string, netns: string, ifname: string): Promise<void> {
    const prev = JSON.parse(await readFile(this.cacheFile(list.name, containerId), 'utf8'));
    for (const p of list.plugins) {
      await execPlugin(this.binDirs, CniManager.pluginConf(list, p, prev), {
        command: 'CHECK',
        containerId,
        netns,
        ifname,
      });
    }
  }

  /**
   * Sets up a pod sandbox's network: loopback on "lo", then the default network on "eth0" with
   * the pod's host ports (`portMappings`). Resolves with the pod IP.
   */
  async setUpPod(
    sandboxId: string,
    netns: string,
    pod: { namespace: string; name: string; uid: string },
    portMappings: CniPortMapping[] = [],
  ): Promise<string> {
    const list = await this.loadConfig();
    const args = `IgnoreUnknown=1;K8S_POD_NAMESPACE=${pod.namespace};K8S_POD_NAME=${pod.name};K8S_POD_INFRA_CONTAINER_ID=${sandboxId};K8S_POD_UID=${pod.uid}`;
    await this.addList(loopbackConfList, sandboxId, netns, 'lo', args);
    const result = await this.addList(
      list,
      sandboxId,
      netns,
      'eth0',
      args,
      portMappings.length ? { portMappings } : undefined,
    );
    const ip = podIpFromResult(result);
    if (!ip) throw new CniError(list.name, 'ADD', 'result has no IP address');
    return ip;
  }

  /** Tears down a pod sandbox's network (DEL of the default network, then loopback). */
  async tearDownPod(sandboxId: string, netns: string): Promise<void> {
    const list = await this.loadConfig();
    await this.delList(list, sandboxId, netns, 'eth0');
    await this.delList(loopbackConfList, sandboxId, netns, 'lo').catch(() => undefined);
  }

  /** True when an ADD result is cached for the sandbox (the kubelet set its network up). */
  async hasCache(sandboxId: string): Promise<boolean> {
    try {
      const list = await this.loadConfig();
      return existsSync(this.cacheFile(list.name, sandboxId));
    } catch {
      return false;
    }
  }

  /** The cached pod IP of a sandbox set up earlier (e.g. before a kubelet restart), if any. */
  async cachedPodIp(sandboxId: string): Promise<string | undefined> {
    try {
      const list = await this.loadConfig();
      const res = JSON.parse(await readFile(this.cacheFile(list.name, sandboxId), 'utf8')) as CniResult;
      return podIpFromResult(res);
    } catch {
      return undefined;
    }
  }
}

/**
 * Removes the CNI portmap plugin's shared nat chains (CNI-HOSTPORT-*) and the jumps to them when
 * no mapping is left in them: pods with a hostPort create them, and the plugin's DEL leaves them
 * behind. For teardown (`keelson down`, tests) in the network namespace the pods used.
 */
export function removeIdlePortmapChains(): void {
  const ipt = (...args: string[]) =>
    spawnSync('iptables', ['-w', '-t', 'nat', ...args], { encoding: 'utf8' });
  const dnat = ipt('-S', 'CNI-HOSTPORT-DNAT');
  if (dnat.status !== 0 || dnat.stdout.includes('-A CNI-HOSTPORT-DNAT')) return; // absent or in use
  ipt('-D', 'PREROUTING', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-HOSTPORT-DNAT');
  ipt('-D', 'OUTPUT', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-HOSTPORT-DNAT');
  ipt(
    '-D',
    'POSTROUTING',
    '-m',
    'comment',
    '--comment',
    'CNI portfwd requiring masquerade',
    '-j',
    'CNI-HOSTPORT-MASQ',
  );
  for (const chain of ['CNI-HOSTPORT-DNAT', 'CNI-HOSTPORT-MASQ', 'CNI-HOSTPORT-SETMARK']) {
    ipt('-F', chain);
    ipt('-X', chain);
  }
}
