import { mkdtemp, appendFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { criLogToLines, followLog, formatCriLogLine, parseCriLogLine, renderLogs } from './logs';

const LOG =
  [
    '2026-01-01T12:00:00.000000001Z stdout F line one',
    '2026-01-01T12:00:01.5Z stderr F oops',
    '2026-01-01T12:00:02.000000000Z stdout P part-',
    '2026-01-01T12:00:02.100000000Z stdout P two-',
    '2026-01-01T12:00:02.200000000Z stdout F three',
    '2026-01-01T12:00:03Z stdout F ',
    'garbage line',
    '2026-01-01T12:00:04Z stdout F last',
  ].join('\n') + '\n';

describe('CRI log parsing', () => {
  it('parses a record', () => {
    expect(parseCriLogLine('2026-01-01T12:00:00.000000001Z stdout F hello world')).toEqual({
      timestamp: '2026-01-01T12:00:00.000000001Z',
      time: Date.UTC(2026, 0, 1, 12),
      stream: 'stdout',
      partial: false,
      content: 'hello world',
    });
    expect(parseCriLogLine('2026-01-01T12:00:00Z stderr P x')?.partial).toBe(true);
    expect(parseCriLogLine('nonsense')).toBeUndefined();
    expect(parseCriLogLine('2026-01-01T12:00:00Z stdin F x')).toBeUndefined();
  });

  it('joins partial records and keeps empty lines', () => {
    expect(criLogToLines(LOG).map((l) => l.text)).toEqual([
      'line one\n',
      'oops\n',
      'part-two-three\n',
      '\n',
      'last\n',
    ]);
  });

  it('renders with tailLines, sinceMs, timestamps and limitBytes', () => {
    expect(renderLogs(LOG, {})).toBe('line one\noops\npart-two-three\n\nlast\n');
    expect(renderLogs(LOG, { tailLines: 2 })).toBe('\nlast\n');
    expect(renderLogs(LOG, { tailLines: 0 })).toBe('');
    expect(renderLogs(LOG, { sinceMs: Date.UTC(2026, 0, 1, 12, 0, 2) })).toBe('part-two-three\n\nlast\n');
    expect(renderLogs(LOG, { timestamps: true, tailLines: 1 })).toBe('2026-01-01T12:00:04Z last\n');
    expect(renderLogs(LOG, { limitBytes: 5 })).toBe('line ');
  });

  it('round-trips through formatCriLogLine', () => {
    const line = formatCriLogLine({ timestamp: '2026-01-01T00:00:00Z', stream: 'stdout', content: 'x y' });
    expect(line).toBe('2026-01-01T00:00:00Z stdout F x y\n');
    expect(parseCriLogLine(line.trimEnd())?.content).toBe('x y');
  });

  it('follows a growing file until told to stop', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kubelet-logs-'));
    try {
      const path = join(dir, '0.log');
      await writeFile(
        path,
        formatCriLogLine({ timestamp: '2026-01-01T00:00:00Z', stream: 'stdout', content: 'a' }),
      );
      const got: string[] = [];
      let stop = false;
      const ac = new AbortController();
      const done = followLog(
        path,
        0,
        {},
        (s) => got.push(s),
        async () => stop,
        ac.signal,
        10,
      );
      await new Promise((r) => setTimeout(r, 30));
      await appendFile(
        path,
        formatCriLogLine({ timestamp: '2026-01-01T00:00:01Z', stream: 'stdout', content: 'b' }),
      );
      await appendFile(path, '2026-01-01T00:00:02Z stdout F c'); // incomplete line: held back
      await new Promise((r) => setTimeout(r, 50));
      await appendFile(path, '\n');
      stop = true;
      await done;
      expect(got.join('')).toBe('a\nb\nc\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
