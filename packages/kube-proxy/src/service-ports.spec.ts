import type { EndpointSlice, Service } from '@keelson/api';
import { buildServicePorts } from './service-ports';

const svc = (name: string, spec: Service['spec']): Service => ({ metadata: { namespace: 'ns', name }, spec });
const slice = (
  svcName: string,
  endpoints: EndpointSlice['endpoints'],
  ports: EndpointSlice['ports'],
): EndpointSlice => ({
  metadata: { namespace: 'ns', name: `${svcName}-1`, labels: { 'kubernetes.io/service-name': svcName } },
  addressType: 'IPv4',
  endpoints,
  ports,
});

describe('buildServicePorts', () => {
  it('pairs each Service port with the slice port of the same name and protocol', () => {
    const ports = buildServicePorts(
      [
        svc('a', {
          clusterIP: '10.96.0.5',
          ports: [
            { name: 'http', port: 80 },
            { name: 'dns', port: 53, protocol: 'UDP' },
          ],
        }),
      ],
      [
        slice(
          'a',
          [{ addresses: ['10.244.0.2'], nodeName: 'n1' }],
          [
            { name: 'http', port: 8080 },
            { name: 'dns', port: 5353, protocol: 'UDP' },
          ],
        ),
      ],
      'n1',
    );
    expect(
      ports.map((p) => [p.name, p.protocol, p.port, p.endpoints.map((e) => `${e.ip}:${e.port}`)]),
    ).toEqual([
      ['ns/a:dns', 'udp', 53, ['10.244.0.2:5353']],
      ['ns/a:http', 'tcp', 80, ['10.244.0.2:8080']],
    ]);
    expect(ports[0].endpoints[0].local).toBe(true);
  });

  it('skips headless and ExternalName Services', () => {
    expect(
      buildServicePorts(
        [
          svc('h', { clusterIP: 'None', ports: [{ port: 80 }] }),
          svc('e', { type: 'ExternalName', externalName: 'x.org' }),
        ],
        [],
        'n1',
      ),
    ).toEqual([]);
  });

  it('uses ready endpoints, falling back to serving terminating ones only when none is ready', () => {
    const eps: EndpointSlice['endpoints'] = [
      { addresses: ['10.244.0.3'], conditions: { ready: false, serving: true, terminating: true } },
      { addresses: ['10.244.0.2'], conditions: { ready: true } },
      { addresses: ['10.244.0.4'], conditions: { ready: false } },
    ];
    const [p] = buildServicePorts(
      [svc('a', { clusterIP: '10.96.0.5', ports: [{ port: 80 }] })],
      [slice('a', eps, [{ port: 80 }])],
      'n1',
    );
    expect(p.endpoints.map((e) => e.ip)).toEqual(['10.244.0.2']);
    const [q] = buildServicePorts(
      [svc('a', { clusterIP: '10.96.0.5', ports: [{ port: 80 }] })],
      [slice('a', [eps[0], eps[2]], [{ port: 80 }])],
      'n1',
    );
    expect(q.endpoints.map((e) => e.ip)).toEqual(['10.244.0.3']);
  });

  it('reads NodePort, affinity and traffic policies', () => {
    const [p] = buildServicePorts(
      [
        svc('a', {
          type: 'NodePort',
          clusterIP: '10.96.0.5',
          ports: [{ port: 80, nodePort: 30001 }],
          sessionAffinity: 'ClientIP',
          externalTrafficPolicy: 'Local',
          internalTrafficPolicy: 'Local',
        }),
      ],
      [],
      'n1',
    );
    expect(p).toMatchObject({
      nodePort: 30001,
      affinityTimeoutSeconds: 10800,
      externalLocal: true,
      internalLocal: true,
    });
  });
});
