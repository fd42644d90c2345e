/**
 * Host facts for the Node object: capacity (cpu from os.cpus(), memory from /proc/meminfo,
 * ephemeral-storage from statfs of the kubelet root, pods), system info and memory/disk
 * pressure inputs (upstream: cadvisor MachineInfo + kubelet node status setters).
 */
import { readFileSync, statfsSync } from 'node:fs';
import os from 'node:os';

/** Parses /proc/meminfo into kB values by key ("MemTotal" → 16318028). */
export function parseMeminfo(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** Raw machine numbers (bytes and cores). */
export interface MachineInfo {
  cpus: number;
  memoryBytes: number;
  memoryAvailableBytes: number;
  /** Filesystem holding the kubelet root. */
  fsCapacityBytes: number;
  fsAvailableBytes: number;
  machineID: string;
  systemUUID: string;
  bootID: string;
  kernelVersion: string;
  osImage: string;
  architecture: string;
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return fallback;
  }
}

/** The Go GOARCH name of this machine ("amd64", "arm64", ...). */
export function goArch(): string {
  const a = os.arch();
  return a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a;
}

/** Reads the machine's facts; `rootDir` is the filesystem to measure for ephemeral-storage. */
export function readMachineInfo(rootDir: string): MachineInfo {
  const mem = parseMeminfo(readOr('/proc/meminfo', ''));
  let fsCapacityBytes = 0;
  let fsAvailableBytes = 0;
  try {
    const st = statfsSync(rootDir);
    fsCapacityBytes = st.blocks * st.bsize;
    fsAvailableBytes = st.bavail * st.bsize;
  } catch {
    /* unknown */
  }
  const osRelease = readOr('/etc/os-release', '');
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(osRelease)?.[1] ?? 'Linux';
  return {
    cpus: os.cpus().length,
    memoryBytes: (mem.MemTotal ?? Math.floor(os.totalmem() / 1024)) * 1024,
    memoryAvailableBytes: (mem.MemAvailable ?? Math.floor(os.freemem() / 1024)) * 1024,
    fsCapacityBytes,
    fsAvailableBytes,
    machineID: readOr('/etc/machine-id', ''),
    systemUUID: readOr('/sys/class/dmi/id/product_uuid', readOr('/etc/machine-id', '')),
    bootID: readOr('/proc/sys/kernel/random/boot_id', ''),
    kernelVersion: os.release(),
    osImage: pretty,
    architecture: goArch(),
  };
}
