import {
  CLOSE,
  decodeFrame,
  encodeFrame,
  errorPayload,
  exitCodeOf,
  exitStatus,
  negotiateProtocol,
  STDOUT,
} from './channel';

describe('Kubernetes WebSocket channel framing', () => {
  it('prefixes binary frames with the channel byte', () => {
    const f = encodeFrame('v4.channel.k8s.io', STDOUT, 'hi') as Buffer;
    expect([...f]).toEqual([1, 104, 105]);
    expect(decodeFrame('v4.channel.k8s.io', f)).toEqual({ channel: 1, data: Buffer.from('hi') });
    expect(decodeFrame('v5.channel.k8s.io', Buffer.from([CLOSE, 0]))).toEqual({
      channel: 255,
      data: Buffer.from([0]),
    });
    expect(decodeFrame('v4.channel.k8s.io', Buffer.alloc(0))).toBeUndefined();
  });

  it('uses an ASCII digit and base64 for the base64 protocols', () => {
    expect(encodeFrame('base64.channel.k8s.io', 2, 'hi')).toBe('2aGk=');
    expect(decodeFrame('v4.base64.channel.k8s.io', '1aGk=')).toEqual({ channel: 1, data: Buffer.from('hi') });
  });

  it('negotiates v5 over v4 over v1', () => {
    expect(negotiateProtocol(['v4.channel.k8s.io', 'v5.channel.k8s.io'])).toBe('v5.channel.k8s.io');
    expect(negotiateProtocol(new Set(['channel.k8s.io', 'v4.channel.k8s.io']))).toBe('v4.channel.k8s.io');
    expect(negotiateProtocol(['v9.unknown'])).toBe(false);
  });

  it('reports exit codes as remotecommand does', () => {
    expect(exitStatus(0)).toEqual({ metadata: {}, status: 'Success' });
    const s = exitStatus(3, ['sh', '-c', 'exit 3']);
    expect(s).toEqual({
      metadata: {},
      status: 'Failure',
      message:
        'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    expect(exitCodeOf(s)).toBe(3);
    expect(JSON.parse(errorPayload('v5.channel.k8s.io', s)).reason).toBe('NonZeroExitCode');
    expect(errorPayload('channel.k8s.io', exitStatus(0))).toBe('');
  });
});
