/** A rule tool (nft, iptables-restore) rejected a script or could not run. */
export class ProxyApplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProxyApplyError';
  }
}

/** A bad flag value of keelson-proxy (unknown mode, malformed CIDR). */
export class ProxyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProxyConfigError';
  }
}
