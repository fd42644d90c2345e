/**
 * CRI container log files (the CRI "logging format": one line per record,
 * `<RFC3339Nano timestamp> <stdout|stderr> <P|F> <content>`, P = partial, F = full) and the
 * kubelet's log options (upstream pkg/kubelet/kuberuntime/logs: tailLines, sinceSeconds,
 * timestamps, limitBytes, follow).
 */
import { open, stat } from 'node:fs/promises';

/** One parsed log record. */
export interface CriLogRecord {
  /** The timestamp as written (RFC 3339 with nanoseconds). */
  timestamp: string;
  /** ms since the epoch. */
  time: number;
  stream: 'stdout' | 'stderr';
  /** True for a partial line (tag P): the next record continues it. */
  partial: boolean;
  content: string;
}

/** Parses one CRI log line; undefined when malformed. */
export function parseCriLogLine(line: string): CriLogRecord | undefined {
  const a = line.indexOf(' ');
  if (a < 0) return undefined;
  const b = line.indexOf(' ', a + 1);
  if (b < 0) return undefined;
  const stream = line.slice(a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const c = line.indexOf(' ', b + 1);
  const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
  const timestamp = line.slice(0, a);
  const time = Date.parse(timestamp);
  if (Number.isNaN(time)) return undefined;
  // tags may carry more flags separated by ':' (e.g. "F" or "P"); the first is the partial flag
  const partial = tag.split(':')[0] === 'P';
  return { timestamp, time, stream, partial, content: c < 0 ? '' : line.slice(c + 1) };
}

/** Formats a record in the CRI log format (for writers and tests). */
export function formatCriLogLine(r: {
  timestamp: string;
  stream: string;
  partial?: boolean;
  content: string;
}): string {
  return `${r.timestamp} ${r.stream} ${r.partial ? 'P' : 'F'} ${r.content}\n`;
}

/** Kubernetes PodLogOptions the kubelet honours. */
export interface LogOptions {
  /** Only the last N lines. */
  tailLines?: number;
  /** Only records newer than now − sinceSeconds (or since sinceTime, ms). */
  sinceMs?: number;
  /** Prefix each line with its RFC3339Nano timestamp. */
  timestamps?: boolean;
  /** Stop after this many bytes. */
  limitBytes?: number;
}

/** Full lines (partials joined) from CRI log text: [timestamp of first part, stream, text with "\n" for full lines]. */
export function criLogToLines(
  text: string,
): { timestamp: string; time: number; stream: string; text: string }[] {
  const out: { timestamp: string; time: number; stream: string; text: string }[] = [];
  const pending = new Map<string, { timestamp: string; time: number; text: string }>();
  for (const raw of text.split('\n')) {
    if (!raw) continue;
    const r = parseCriLogLine(raw);
    if (!r) continue;
    const p = pending.get(r.stream);
    const acc = p
      ? { ...p, text: p.text + r.content }
      : { timestamp: r.timestamp, time: r.time, text: r.content };
    if (r.partial) {
      pending.set(r.stream, acc);
      continue;
    }
    pending.delete(r.stream);
    out.push({ timestamp: acc.timestamp, time: acc.time, stream: r.stream, text: acc.text + '\n' });
  }
  for (const [stream, p] of pending) out.push({ timestamp: p.timestamp, time: p.time, stream, text: p.text });
  return out;
}

/** Applies since/tail/timestamps/limitBytes to CRI log text and renders what `kubectl logs` shows. */
export function renderLogs(text: string, o: LogOptions): string {
  let lines = criLogToLines(text);
  if (o.sinceMs !== undefined) lines = lines.filter((l) => l.time >= o.sinceMs!);
  if (o.tailLines !== undefined && o.tailLines >= 0)
    lines = o.tailLines === 0 ? [] : lines.slice(-o.tailLines);
  let s = lines.map((l) => (o.timestamps ? `${l.timestamp} ${l.text}` : l.text)).join('');
  if (o.limitBytes !== undefined && o.limitBytes >= 0)
    s = Buffer.from(s).subarray(0, o.limitBytes).toString('utf8');
  return s;
}

/**
 * Follows a CRI log file from byte `offset`, calling `onText` with rendered text of complete
 * records as they are appended, until `shouldStop()` is true at EOF (e.g. the container exited)
 * or `signal` aborts. Polls every `pollMs`.
 */
export async function followLog(
  path: string,
  offset: number,
  o: LogOptions,
  onText: (s: string) => void,
  shouldStop: () => Promise<boolean>,
  signal: AbortSignal,
  pollMs = 200,
): Promise<void> {
  let pos = offset;
  let carry = '';
  while (!signal.aborted) {
    let size = 0;
    try {
      size = (await stat(path)).size;
    } catch {
      size = 0;
    }
    if (size < pos) pos = 0; // rotated or truncated
    if (size > pos) {
      const fh = await open(path, 'r');
      try {
        const buf = Buffer.alloc(size - pos);
        await fh.read(buf, 0, buf.length, pos);
        pos = size;
        const text = carry + buf.toString('utf8');
        const cut = text.lastIndexOf('\n');
        carry = cut >= 0 ? text.slice(cut + 1) : text;
        const complete = cut >= 0 ? text.slice(0, cut + 1) : '';
        const out = renderLogs(complete, { timestamps: o.timestamps, sinceMs: o.sinceMs });
        if (out) onText(out);
      } finally {
        await fh.close();
      }
      continue;
    }
    if (await shouldStop()) return;
    await new Promise<void>((r) => {
      const t = setTimeout(r, pollMs);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          r();
        },
        { once: true },
      );
    });
  }
}
