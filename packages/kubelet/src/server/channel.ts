/**
 * The Kubernetes WebSocket channel protocol used by exec/attach (k8s.io/apimachinery
 * util/httpstream/wsstream and client-go tools/remotecommand): every binary message starts with
 * a channel byte — 0 stdin, 1 stdout, 2 stderr, 3 error (v4+: a metav1.Status JSON, the last
 * message), 4 resize (JSON {"Width","Height"}); v5 adds 255 "close": payload one byte, the
 * stream id whose writer half-closed. The base64 variants prefix an ASCII digit and base64 the
 * payload.
 */
import type { Status } from '@keelson/api';

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const ERROR = 3;
export const RESIZE = 4;
/** v5 close signal channel. */
export const CLOSE = 255;

/** Subprotocols the kubelet accepts, most preferred first. */
export const EXEC_PROTOCOLS = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v4.base64.channel.k8s.io',
  'channel.k8s.io',
  'base64.channel.k8s.io',
];

/** The first offered protocol we support, in our preference order; false when none. */
export function negotiateProtocol(offered: Set<string> | string[]): string | false {
  const set = offered instanceof Set ? offered : new Set(offered);
  return EXEC_PROTOCOLS.find((p) => set.has(p)) ?? false;
}

/** True for the base64 codec subprotocols. */
export function isBase64Protocol(p: string): boolean {
  return p.includes('base64');
}

/** Encodes a frame for `protocol`. */
export function encodeFrame(protocol: string, channel: number, data: Buffer | string): Buffer | string {
  const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (isBase64Protocol(protocol)) return String.fromCharCode(48 + channel) + payload.toString('base64');
  const out = Buffer.allocUnsafe(payload.length + 1);
  out[0] = channel;
  payload.copy(out, 1);
  return out;
}

/** Decodes a frame; undefined for an empty message. */
export function decodeFrame(
  protocol: string,
  msg: Buffer | string,
): { channel: number; data: Buffer } | undefined {
  if (isBase64Protocol(protocol)) {
    const s = typeof msg === 'string' ? msg : msg.toString('utf8');
    if (!s.length) return undefined;
    return { channel: s.charCodeAt(0) - 48, data: Buffer.from(s.slice(1), 'base64') };
  }
  const b = typeof msg === 'string' ? Buffer.from(msg, 'utf8') : msg;
  if (!b.length) return undefined;
  return { channel: b[0]!, data: b.subarray(1) };
}

/** The error-channel Status for a finished command (remotecommand: NonZeroExitCode / ExitCode cause). */
export function exitStatus(exitCode: number, cmd: string[] = []): Status {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${cmd.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/** An error-channel Status for a failure to run the command at all. */
export function errorStatus(message: string): Status {
  return { metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 };
}

/** The exit code a client reads from an error-channel Status (0 for Success). */
export function exitCodeOf(status: Status): number {
  if (status.status === 'Success') return 0;
  const c = status.details?.causes?.find((x) => x.reason === 'ExitCode');
  return c ? Number(c.message) : 1;
}

/** Renders the error channel payload for `protocol` (v1 protocols carry plain text). */
export function errorPayload(protocol: string, status: Status): string {
  if (protocol.startsWith('v4.') || protocol.startsWith('v5.')) return JSON.stringify(status);
  return status.status === 'Success' ? '' : (status.message ?? 'error');
}
