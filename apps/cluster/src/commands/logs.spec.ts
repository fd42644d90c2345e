import { logLineFormatter } from './logs';

describe('logLineFormatter', () => {
  const format = logLineFormatter();

  it('prints a pino JSON line on one readable line with level, component, message and fields', () => {
    const line = JSON.stringify({
      level: 40,
      time: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
      pid: 123,
      hostname: 'h',
      name: 'kubelet-node1',
      msg: 'probe failed',
      pod: 'default/web-1',
    });
    const out = format(line);
    expect(out).not.toContain('\n');
    expect(out).toMatch(/WARN/);
    expect(out).toContain('(kubelet-node1)');
    expect(out).toContain('probe failed');
    expect(out).toContain('"pod":"default/web-1"');
    expect(out).not.toContain('hostname');
  });

  it('passes lines that are not JSON through unchanged', () => {
    expect(format('keelson: crashed at startup')).toBe('keelson: crashed at startup');
  });
});
