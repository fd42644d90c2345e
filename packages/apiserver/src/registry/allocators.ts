/**
 * Service ClusterIP and NodePort allocation (upstream pkg/registry/core/service/ipallocator and
 * portallocator): IPv4 addresses from a CIDR (default 10.96.0.0/12, network and broadcast
 * addresses excluded, the first host address reserved for the `kubernetes` service, the tenth for
 * cluster DNS when asked for explicitly) and ports from a range (default 30000-32767).
 * State lives in memory and is rebuilt from the stored Services at startup.
 */

/** Parses "a.b.c.d" into a 32-bit number; undefined when malformed. */
export function parseIPv4(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

/** Formats a 32-bit number as dotted IPv4. */
export function formatIPv4(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Why an allocation failed. */
export class AllocationError extends Error {}

/** Allocates IPv4 addresses from a CIDR. */
export class IpAllocator {
  readonly base: number;
  readonly size: number;
  private readonly used = new Set<number>();

  /** @param cidr e.g. "10.96.0.0/12". Throws Error when malformed. */
  constructor(readonly cidr: string) {
    const [ip, bits] = cidr.split('/');
    const n = parseIPv4(ip);
    const b = Number(bits);
    if (n === undefined || !Number.isInteger(b) || b < 8 || b > 30)
      throw new Error(`invalid service CIDR "${cidr}"`);
    const mask = b === 0 ? 0 : (~0 << (32 - b)) >>> 0;
    this.base = (n & mask) >>> 0;
    this.size = 2 ** (32 - b);
  }

  /** The n-th host address of the range (1 = the `kubernetes` service). */
  nth(i: number): string {
    return formatIPv4(this.base + i);
  }

  /** True when `ip` is a host address inside the range. */
  contains(ip: string): boolean {
    const n = parseIPv4(ip);
    return n !== undefined && n > this.base && n < this.base + this.size - 1;
  }

  /** Marks a specific address used. Throws AllocationError (outside range or taken). */
  allocate(ip: string): void {
    if (!this.contains(ip))
      throw new AllocationError(
        `failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.cidr}`,
      );
    const n = parseIPv4(ip)!;
    if (this.used.has(n))
      throw new AllocationError(`failed to allocate IP ${ip}: provided IP is already allocated`);
    this.used.add(n);
  }

  /** Marks an address used if it is in range and free (rebuilding state); returns success. */
  restore(ip: string): boolean {
    try {
      this.allocate(ip);
      return true;
    } catch {
      return false;
    }
  }

  /** Picks a free address (never .1 or .10 of the range). Throws AllocationError when full. */
  allocateNext(): string {
    const reserved = new Set([this.base + 1, this.base + 10]);
    const first = this.base + 1;
    const count = this.size - 2;
    for (let tries = 0; tries < 64; tries++) {
      const n = first + Math.floor(Math.random() * count);
      if (!reserved.has(n) && !this.used.has(n)) {
        this.used.add(n);
        return formatIPv4(n);
      }
    }
    for (let n = first; n < first + count; n++)
      if (!reserved.has(n) && !this.used.has(n)) {
        this.used.add(n);
        return formatIPv4(n);
      }
    throw new AllocationError('range is full');
  }

  /** Frees an address (no-op when not allocated). */
  release(ip: string): void {
    const n = parseIPv4(ip);
    if (n !== undefined) this.used.delete(n);
  }

  /** Number of allocated addresses. */
  get allocated(): number {
    return this.used.size;
  }
}

/** Allocates ports from an inclusive range. */
export class PortAllocator {
  private readonly used = new Set<number>();
  constructor(
    readonly min = 30000,
    readonly max = 32767,
  ) {}

  /** Marks `port` used. Throws AllocationError (out of range or taken). */
  allocate(port: number): void {
    if (!Number.isInteger(port) || port < this.min || port > this.max)
      throw new AllocationError(
        `provided port is not in the valid range. The range of valid ports is ${this.min}-${this.max}`,
      );
    if (this.used.has(port)) throw new AllocationError('provided port is already allocated');
    this.used.add(port);
  }

  /** Marks `port` used if possible; returns success. */
  restore(port: number): boolean {
    try {
      this.allocate(port);
      return true;
    } catch {
      return false;
    }
  }

  /** Picks a free port. Throws AllocationError when the range is full. */
  allocateNext(): number {
    const span = this.max - this.min + 1;
    for (let tries = 0; tries < 64; tries++) {
      const p = this.min + Math.floor(Math.random() * span);
      if (!this.used.has(p)) {
        this.used.add(p);
        return p;
      }
    }
    for (let p = this.min; p <= this.max; p++)
      if (!this.used.has(p)) {
        this.used.add(p);
        return p;
      }
    throw new AllocationError('range is full');
  }

  /** Frees a port. */
  release(port: number): void {
    this.used.delete(port);
  }
}
