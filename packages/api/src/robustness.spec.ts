// Property tests: defaulting and validation never throw, whatever JSON arrives (the apiserver may
// call them on bodies with type errors), and label selectors print in a form that parses back.
import fc from 'fast-check';
import { defaultObject } from './defaults';
import { validateObject } from './validation/validate';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkSchema, encodeObject } from './codec';
import { rootKinds } from './schema/index';
import { parseLabelSelector } from './labels';
import type { KubeObject } from './meta';

const validPod = () => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', labels: { app: 'x' } },
  spec: {
    containers: [
      {
        name: 'c',
        image: 'nginx',
        ports: [{ containerPort: 80, name: 'http' }],
        env: [{ name: 'A', value: 'b' }],
        resources: { limits: { cpu: '1' } },
        readinessProbe: { httpGet: { port: 'http' } },
        volumeMounts: [{ name: 'v', mountPath: '/v' }],
      },
    ],
    volumes: [{ name: 'v', emptyDir: {} }],
    tolerations: [{ key: 'k', operator: 'Equal', value: 'v' }],
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['b'] }] }],
        },
      },
    },
  },
});

function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (v === null || typeof v !== 'object') return [prefix];
  const out: (string | number)[][] = [prefix];
  for (const [k, x] of Object.entries(v))
    out.push(...paths(x, [...prefix, Array.isArray(v) ? Number(k) : k]));
  return out;
}

function setAt(obj: any, path: (string | number)[], value: unknown): void {
  if (path.length === 0) return;
  let cur = obj;
  for (const p of path.slice(0, -1)) cur = cur[p];
  cur[path[path.length - 1]] = value;
}

describe('robustness (property)', () => {
  it('defaultObject/validateObject/checkSchema never throw on any spec of any kind', () => {
    const kinds = rootKinds();
    fc.assert(
      fc.property(fc.constantFrom(...kinds), fc.jsonValue(), fc.jsonValue(), (k, spec, extra) => {
        const obj = {
          ...k,
          metadata: { name: 'x', namespace: 'default' },
          spec,
          status: extra,
          data: extra,
          subsets: extra,
        } as unknown as KubeObject;
        checkSchema(obj);
        defaultObject(obj);
        validateObject(obj);
        validateObject(obj, JSON.parse(JSON.stringify(obj)));
      }),
      { numRuns: 400 },
    );
  });

  it('a pod with any one field replaced by arbitrary JSON never makes them throw', () => {
    const all = paths(validPod()).filter((p) => p.length > 0 && p[0] !== 'apiVersion' && p[0] !== 'kind');
    fc.assert(
      fc.property(fc.constantFrom(...all), fc.jsonValue(), (path, value) => {
        const pod = validPod();
        setAt(pod, path, value);
        const r = checkSchema(pod);
        expect(Array.isArray(r.unknown)).toBe(true);
        defaultObject(pod as KubeObject);
        validateObject(pod as KubeObject, validPod() as KubeObject);
      }),
      { numRuns: 600 },
    );
  });

  it('kubectl-created objects with any one field replaced never make them throw', () => {
    const dir = join(__dirname, 'testdata/kubectl-create');
    const samples = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
    const cases = samples.flatMap((o, i) =>
      paths(o)
        .filter((p) => p.length > 0)
        .map((p) => [i, p] as const),
    );
    fc.assert(
      fc.property(fc.constantFrom(...cases), fc.jsonValue(), ([i, path], value) => {
        const obj = JSON.parse(JSON.stringify(samples[i]));
        setAt(obj, [...path], value);
        checkSchema(obj);
        defaultObject(obj as KubeObject);
        validateObject(obj as KubeObject, samples[i] as KubeObject);
        encodeObject(obj);
      }),
      { numRuns: 600 },
    );
  });

  it('regression: non-string kind/apiVersion (found by the property above)', () => {
    const obj = {
      apiVersion: { toString: null },
      kind: { toString: null },
      metadata: { name: 'x' },
    } as unknown as KubeObject;
    expect(() => defaultObject(obj)).not.toThrow();
    expect(() => validateObject(obj)).not.toThrow();
    expect(() => encodeObject(obj)).not.toThrow();
  });

  it('label selector strings round-trip through toString', () => {
    const name = fc
      .stringMatching(/^[a-z0-9]([a-z0-9.-]{0,8}[a-z0-9])?$/)
      .filter((s) => !s.includes('..') && s !== 'in' && s !== 'notin');
    const req = fc.oneof(
      fc.tuple(name, fc.constantFrom('=', '==', '!='), name).map(([k, op, v]) => `${k}${op}${v}`),
      fc
        .tuple(name, fc.constantFrom(' in ', ' notin '), fc.array(name, { minLength: 1, maxLength: 3 }))
        .map(([k, op, vs]) => `${k}${op}(${vs.join(',')})`),
      name,
      name.map((k) => `!${k}`),
    );
    fc.assert(
      fc.property(fc.array(req, { maxLength: 4 }), fc.dictionary(name, name), (reqs, labels) => {
        const s = parseLabelSelector(reqs.join(','));
        const again = parseLabelSelector(s.toString());
        expect(again.toString()).toBe(s.toString());
        expect(again.matches(labels)).toBe(s.matches(labels));
      }),
      { numRuns: 300 },
    );
  });
});
