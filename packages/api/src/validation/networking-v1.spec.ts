import { defaultObject } from '../defaults';
import type { KubeObject } from '../meta';
import { validateObject } from './validate';

const V = 'networking.k8s.io/v1';
function check(o: object, old?: object): string[] {
  const x = o as KubeObject;
  defaultObject(x);
  return validateObject(x, old as KubeObject | undefined).map((c) => `${c.field}: ${c.message}`);
}
const meta = { name: 'x', namespace: 'default' };
const backend = { service: { name: 'web', port: { number: 80 } } };

describe('networking/v1 validation (pkg/apis/networking/validation)', () => {
  it('accepts a usual Ingress and rejects bad rules', () => {
    expect(
      check({
        apiVersion: V,
        kind: 'Ingress',
        metadata: meta,
        spec: {
          tls: [{ hosts: ['*.example.com'] }],
          rules: [{ host: 'a.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } }],
        },
      }),
    ).toEqual([]);
    expect(check({ apiVersion: V, kind: 'Ingress', metadata: meta, spec: {} })).toEqual([
      'spec: Invalid value: []string{}: either `defaultBackend` or `rules` must be specified',
    ]);
    expect(
      check({
        apiVersion: V,
        kind: 'Ingress',
        metadata: meta,
        spec: {
          rules: [
            {
              host: '10.0.0.1',
              http: {
                paths: [
                  { path: 'api', pathType: 'Exact', backend: { service: { name: 'web', port: {} } } },
                  { path: '/', backend },
                ],
              },
            },
          ],
        },
      }),
    ).toEqual([
      'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
      'spec.rules[0].http.paths[0].path: Invalid value: "api": must be an absolute path',
      'spec.rules[0].http.paths[0].backend.service.port: Required value: port name or number is required',
      'spec.rules[0].http.paths[1].pathType: Required value: pathType must be specified',
    ]);
  });

  it('keeps IngressClass controller immutable', () => {
    const ic = {
      apiVersion: V,
      kind: 'IngressClass',
      metadata: { name: 'c' },
      spec: { controller: 'example.com/a' },
    };
    expect(check(ic)).toEqual([]);
    expect(check({ ...ic, spec: { controller: 'example.com/b' } }, ic)).toEqual([
      'spec.controller: Invalid value: "example.com/b": field is immutable',
    ]);
    expect(check({ ...ic, spec: {} })).toEqual(['spec.controller: Required value']);
  });

  it('defaults and validates NetworkPolicy', () => {
    const np: any = {
      apiVersion: V,
      kind: 'NetworkPolicy',
      metadata: meta,
      spec: {
        podSelector: {},
        egress: [
          { ports: [{ port: 53 }], to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }] },
        ],
      },
    };
    expect(check(np)).toEqual([]);
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.egress[0].ports[0].protocol).toBe('TCP');
    expect(
      check({
        ...np,
        spec: {
          podSelector: {},
          policyTypes: ['Sideways'],
          ingress: [
            {
              ports: [{ protocol: 'ICMP', port: 80, endPort: 70 }],
              from: [{}, { ipBlock: { cidr: '10.0.0.0/16', except: ['192.168.0.0/24'] }, podSelector: {} }],
            },
          ],
        },
      }),
    ).toEqual([
      'spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
      'spec.ingress[0].ports[0].endPort: Invalid value: 70: must be greater than or equal to `port`',
      'spec.ingress[0].from[0]: Required value: must specify a peer',
      'spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer',
      'spec.ingress[0].from[1].ipBlock.except[0]: Invalid value: "192.168.0.0/24": must be a strict subset of `cidr`',
      'spec.policyTypes[0]: Unsupported value: "Sideways": supported values: "Egress", "Ingress"',
    ]);
  });
});
