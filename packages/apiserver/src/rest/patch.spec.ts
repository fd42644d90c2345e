import { applyPatch, mergePatch, strategicMergePatch } from './patch';
import { ApiError } from '../errors';

const deploy = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd', labels: { a: '1', b: '2' }, finalizers: ['x'] },
  spec: {
    replicas: 1,
    template: {
      spec: {
        containers: [
          {
            name: 'app',
            image: 'nginx:1',
            ports: [{ containerPort: 80 }],
            env: [{ name: 'A', value: '1' }],
            args: ['a', 'b'],
          },
          { name: 'side', image: 'busybox' },
        ],
        volumes: [{ name: 'v', emptyDir: {} }],
      },
    },
  },
};

describe('mergePatch (RFC 7386)', () => {
  it('merges objects, deletes nulls, replaces arrays', () => {
    expect(mergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [3] })).toEqual({
      a: { c: 2, d: 3 },
      l: [3],
    });
    expect(mergePatch({ a: 1 }, 'x')).toBe('x');
  });
});

describe('strategicMergePatch', () => {
  it('merges containers by name and keeps the others', () => {
    const r = strategicMergePatch(deploy, {
      spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:2' }] } } },
    });
    expect(r.spec.template.spec.containers).toEqual([
      { ...deploy.spec.template.spec.containers[0], image: 'nginx:2' },
      deploy.spec.template.spec.containers[1],
    ]);
    expect(deploy.spec.template.spec.containers[0].image).toBe('nginx:1');
  });
  it('merges nested lists by their keys (ports by containerPort, env by name) and replaces atomic lists', () => {
    const r = strategicMergePatch(deploy, {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'app', ports: [{ containerPort: 443 }], env: [{ name: 'A', value: '2' }], args: ['c'] },
            ],
          },
        },
      },
    });
    const app = r.spec.template.spec.containers[0];
    expect(app.ports).toEqual([{ containerPort: 80 }, { containerPort: 443 }]);
    expect(app.env).toEqual([{ name: 'A', value: '2' }]);
    expect(app.args).toEqual(['c']);
  });
  it('honours $patch delete and replace, $deleteFromPrimitiveList and ignores $setElementOrder', () => {
    const del = strategicMergePatch(deploy, {
      spec: {
        template: {
          spec: {
            containers: [{ name: 'side', $patch: 'delete' }],
            '$setElementOrder/containers': [{ name: 'app' }],
          },
        },
      },
    });
    expect(del.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual(['app']);
    const rep = strategicMergePatch(deploy, {
      spec: { template: { spec: { containers: [{ name: 'only', image: 'x' }, { $patch: 'replace' }] } } },
    });
    expect(rep.spec.template.spec.containers).toEqual([{ name: 'only', image: 'x' }]);
    const obj = strategicMergePatch(deploy, { metadata: { labels: { $patch: 'replace', c: '3' } } });
    expect(obj.metadata.labels).toEqual({ c: '3' });
    const fin = strategicMergePatch(deploy, { metadata: { '$deleteFromPrimitiveList/finalizers': ['x'] } });
    expect(fin.metadata.finalizers).toEqual([]);
    const add = strategicMergePatch(deploy, { metadata: { finalizers: ['y'] } });
    expect(add.metadata.finalizers).toEqual(['x', 'y']);
  });
  it('deletes map keys with null', () => {
    expect(strategicMergePatch(deploy, { metadata: { labels: { a: null } } }).metadata.labels).toEqual({
      b: '2',
    });
  });
});

describe('applyPatch', () => {
  it('applies JSON patches and rejects failing ones with 422', () => {
    const r = applyPatch(
      'application/json-patch+json',
      deploy,
      Buffer.from('[{"op":"replace","path":"/spec/replicas","value":3}]'),
    );
    expect(r.spec.replicas).toBe(3);
    expect(deploy.spec.replicas).toBe(1);
    const e = (() => {
      try {
        applyPatch(
          'application/json-patch+json',
          deploy,
          Buffer.from('[{"op":"test","path":"/spec/replicas","value":9}]'),
        );
      } catch (err) {
        return err as ApiError;
      }
    })();
    expect(e?.code).toBe(422);
  });
  it('rejects malformed patches with 400 and unknown types with 415', () => {
    const code = (t: string, b: string) => {
      try {
        applyPatch(t, deploy, Buffer.from(b));
        return 0;
      } catch (err) {
        return (err as ApiError).code;
      }
    };
    expect(code('application/merge-patch+json', '{nope')).toBe(400);
    expect(code('application/merge-patch+json', '[1]')).toBe(400);
    expect(code('application/json-patch+json', '{}')).toBe(400);
    expect(code('text/plain', '{}')).toBe(415);
  });
  it('reads apply bodies as YAML', () => {
    const r = applyPatch('application/apply-patch+yaml', deploy, Buffer.from('spec:\n  replicas: 7\n'));
    expect(r.spec.replicas).toBe(7);
    expect(r.spec.template.spec.containers).toHaveLength(2);
  });
});
