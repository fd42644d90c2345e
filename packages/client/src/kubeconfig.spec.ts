import { parseKubeconfig } from './kubeconfig';
import { ClientConfigError } from './errors';

const kc = (cluster: string) => `apiVersion: v1
kind: Config
current-context: dev
contexts:
- name: dev
  context: { cluster: c1, user: u1 }
- name: other
  context: { cluster: c2 }
clusters:
- name: c1
  cluster:
${cluster}
- name: c2
  cluster: { server: "http://[::1]:8080" }
users:
- name: u1
  user: { token: abc }
`;

describe('parseKubeconfig', () => {
  it('prefers the keelson.dev/grpc extension', () => {
    const t = parseKubeconfig(
      kc(`    server: https://10.0.0.1:6443
    extensions:
    - name: keelson.dev/grpc
      extension: { server: "10.0.0.1:7000" }`),
    );
    expect(t).toMatchObject({
      grpcAddress: '10.0.0.1:7000',
      server: 'https://10.0.0.1:6443',
      token: 'abc',
      context: 'dev',
      cluster: 'c1',
      tls: false,
    });
  });
  it('falls back to the server port + 1 (443 when absent)', () => {
    expect(parseKubeconfig(kc('    server: https://127.0.0.1:6443')).grpcAddress).toBe('127.0.0.1:6444');
    expect(parseKubeconfig(kc('    server: https://api.example')).grpcAddress).toBe('api.example:444');
    expect(parseKubeconfig(kc('    server: https://x:1'), { context: 'other' }).grpcAddress).toBe(
      '[::1]:8081',
    );
  });
  it('reads certificate-authority-data', () => {
    const t = parseKubeconfig(
      kc(`    server: https://127.0.0.1:6443
    certificate-authority-data: ${Buffer.from('PEM').toString('base64')}`),
    );
    expect(t.caData?.toString()).toBe('PEM');
  });
  it('reads the user client certificate and key data', () => {
    const text = kc('    server: https://127.0.0.1:6443').replace(
      'user: { token: abc }',
      `user: { client-certificate-data: ${Buffer.from('CERT').toString('base64')}, client-key-data: ${Buffer.from('KEY').toString('base64')} }`,
    );
    const t = parseKubeconfig(text);
    expect(t.certData?.toString()).toBe('CERT');
    expect(t.keyData?.toString()).toBe('KEY');
    expect(t.token).toBeUndefined();
    expect(t.namespace).toBe('default');
  });
  it('rejects a missing context', () => {
    expect(() => parseKubeconfig('apiVersion: v1\nkind: Config\n')).toThrow(ClientConfigError);
    expect(() => parseKubeconfig(kc('    server: x'), { context: 'nope' })).toThrow(/nope/);
  });
});
