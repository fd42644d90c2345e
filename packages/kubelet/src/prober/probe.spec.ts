// One-shot probes against real loopback servers (HTTP, TCP, gRPC health) and the fake runtime (exec).
import {
  Server,
  ServerCredentials,
  status as grpcStatus,
  type ServerUnaryCall,
  type sendUnaryData,
} from '@grpc/grpc-js';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { FakeCriRuntime } from '../cri/fake-runtime';
import {
  decodeHealthCheckResponse,
  encodeHealthCheckRequest,
  grpcProbe,
  httpProbe,
  runProbe,
  tcpProbe,
} from './probe';

describe('probes', () => {
  it('httpGet: 2xx/3xx succeed, others fail, headers and path are sent', async () => {
    const seen: { url?: string; ua?: string; x?: string }[] = [];
    const srv = http.createServer((req, res) => {
      seen.push({ url: req.url, ua: req.headers['user-agent'], x: req.headers['x-probe'] as string });
      res.statusCode = req.url === '/ok' ? 200 : req.url === '/redirect' ? 302 : 500;
      res.end();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    try {
      expect(
        (
          await httpProbe(
            { path: '/ok', port, httpHeaders: [{ name: 'X-Probe', value: 'yes' }] },
            '127.0.0.1',
            port,
            1000,
          )
        ).result,
      ).toBe('success');
      expect((await httpProbe({ path: '/redirect', port }, '127.0.0.1', port, 1000)).result).toBe('success');
      const bad = await httpProbe({ path: '/bad', port }, '127.0.0.1', port, 1000);
      expect(bad).toEqual({ result: 'failure', message: 'HTTP probe failed with statuscode: 500' });
      expect(seen[0]).toEqual({ url: '/ok', ua: 'kube-probe/1.32', x: 'yes' });
    } finally {
      srv.close();
    }
    expect((await httpProbe({ port }, '127.0.0.1', port, 500)).result).toBe('failure'); // closed
  });

  it('tcpSocket: connect succeeds on a listening port, fails on a closed one', async () => {
    const srv = net.createServer((s) => s.end());
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    expect((await tcpProbe('127.0.0.1', port, 1000)).result).toBe('success');
    srv.close();
    await new Promise((r) => setTimeout(r, 10));
    expect((await tcpProbe('127.0.0.1', port, 1000)).result).toBe('failure');
  });

  it('grpc: grpc.health.v1.Health/Check SERVING succeeds, NOT_SERVING fails', async () => {
    expect([...encodeHealthCheckRequest('svc')]).toEqual([0x0a, 3, 0x73, 0x76, 0x63]);
    expect(decodeHealthCheckResponse(Buffer.from([0x08, 0x01]))).toBe(1);
    const server = new Server();
    server.addService(
      {
        Check: {
          path: '/grpc.health.v1.Health/Check',
          requestStream: false,
          responseStream: false,
          requestSerialize: (x: Buffer) => x,
          requestDeserialize: (x: Buffer) => x,
          responseSerialize: (x: Buffer) => x,
          responseDeserialize: (x: Buffer) => x,
        },
      },
      {
        Check: (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => {
          const service = call.request.length ? call.request.subarray(2).toString() : '';
          if (service === 'missing') return cb({ code: grpcStatus.NOT_FOUND, details: 'unknown service' });
          cb(null, Buffer.from([0x08, service === 'down' ? 2 : 1]));
        },
      },
    );
    const port = await new Promise<number>((res, rej) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
    );
    try {
      expect((await grpcProbe('127.0.0.1', port, '', 1000)).result).toBe('success');
      expect(await grpcProbe('127.0.0.1', port, 'down', 1000)).toEqual({
        result: 'failure',
        message: 'service unhealthy (responded with "NOT_SERVING")',
      });
      expect((await grpcProbe('127.0.0.1', port, 'missing', 1000)).result).toBe('failure');
    } finally {
      server.forceShutdown();
    }
  });

  it('exec: runs through CRI ExecSync; exit 0 succeeds', async () => {
    const cri = new FakeCriRuntime();
    const sb = await cri.runPodSandbox({
      metadata: { name: 'p', uid: 'u', namespace: 'd', attempt: 0 },
      hostname: '',
      logDirectory: '',
      portMappings: [],
      labels: {},
      annotations: {},
    });
    const id = await cri.createContainer(
      sb,
      {
        metadata: { name: 'c', attempt: 0 },
        command: [],
        args: [],
        workingDir: '',
        envs: [],
        mounts: [],
        devices: [],
        labels: {},
        annotations: {},
        logPath: '',
        stdin: false,
        stdinOnce: false,
        tty: false,
        CDIDevices: [],
        stopSignal: 0,
      },
      {} as never,
    );
    cri.setExecHandler((_id, cmd) => ({
      stdout: Buffer.from(cmd.join(' ')),
      stderr: Buffer.alloc(0),
      exitCode: cmd[0] === 'true' ? 0 : 1,
    }));
    const c = { name: 'c' };
    expect(
      (await runProbe(cri, { exec: { command: ['true'] } }, { podIp: '', containerId: id, container: c }))
        .result,
    ).toBe('success');
    expect(
      await runProbe(
        cri,
        { exec: { command: ['false', 'x'] } },
        { podIp: '', containerId: id, container: c },
      ),
    ).toEqual({ result: 'failure', message: 'false x' });
    expect(
      (
        await runProbe(
          cri,
          { tcpSocket: { port: 'nope' } },
          { podIp: '127.0.0.1', containerId: id, container: c },
        )
      ).message,
    ).toContain("couldn't find port nope");
  });
});
