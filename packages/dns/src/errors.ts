/** Raised when every upstream resolver failed or timed out for a forwarded query. */
export class UpstreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamError';
  }
}

/** Raised for a bad flag or configuration value of the DNS server (e.g. an unparsable listen address). */
export class DnsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DnsConfigError';
  }
}
