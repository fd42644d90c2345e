/**
 * Stable, readable chain names for Service ports and endpoints, in the style of kube-proxy's
 * nftables mode: a short hash for uniqueness, then the human-readable identity.
 */
import { createHash } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** First 8 base32 characters of SHA-256(text). */
export function shortHash(text: string): string {
  const digest = createHash('sha256').update(text).digest();
  let out = '';
  for (let i = 0; i < 8; i++) out += BASE32[digest[i] & 31];
  return out;
}

/** Chain of a Service port: "svc-<hash>-<ns>/<name>/<proto>/<portName>". */
export function serviceChainName(ns: string, name: string, protocol: string, portName: string): string {
  const id = `${ns}/${name}/${protocol}/${portName}`;
  return `svc-${shortHash(id)}-${id}`;
}

/** Chain of a Service port's external (NodePort / external IP) traffic. */
export function externalChainName(ns: string, name: string, protocol: string, portName: string): string {
  const id = `${ns}/${name}/${protocol}/${portName}`;
  return `ext-${shortHash(id)}-${id}`;
}

/** Chain of one endpoint of a Service port: "ep-<hash>-<ns>/<name>/<proto>/<portName>__<ip>/<port>". */
export function endpointChainName(
  ns: string,
  name: string,
  protocol: string,
  portName: string,
  ip: string,
  port: number,
): string {
  const id = `${ns}/${name}/${protocol}/${portName}__${ip}/${port}`;
  return `ep-${shortHash(id)}-${id}`;
}

/** Name of the ClientIP affinity set of one endpoint (set names allow fewer characters: hash only). */
export function affinitySetName(endpointChain: string): string {
  return `affinity-${shortHash(endpointChain)}`;
}
