/** Test builders (MakePod().Name("p")... style) shared by the kubelet's specs. */
import type { Container, Pod } from '@keelson/api';
import type { RuntimeContainer, RuntimePodState } from '../pod/runtime-state';

/** A pod bound to node "n1" with the given containers (default one busybox container "c"). */
export function makePod(
  name = 'p',
  containers: Partial<Container>[] = [{ name: 'c' }],
  extra: Partial<NonNullable<Pod['spec']>> = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: { app: name } },
    spec: {
      nodeName: 'n1',
      containers: containers.map((c, i) => ({
        name: c.name ?? `c${i}`,
        image: 'busybox:latest',
        ...c,
      })) as Container[],
      ...extra,
    },
  };
}

let seq = 0;

/** A runtime container record. */
export function rc(
  name: string,
  state: RuntimeContainer['state'],
  o: Partial<RuntimeContainer> = {},
): RuntimeContainer {
  seq++;
  return {
    id: `id-${name}-${seq}`,
    sandboxId: 'sb1',
    name,
    attempt: o.restartCount ?? 0,
    restartCount: 0,
    state,
    createdAt: 1000 + seq,
    startedAt: state === 'created' ? 0 : 1000,
    finishedAt: state === 'exited' ? 2000 : 0,
    exitCode: 0,
    reason: '',
    message: '',
    image: 'busybox:latest',
    imageRef: 'sha256:abc',
    hash: '',
    init: false,
    logPath: `${name}/0.log`,
    ...o,
  };
}

/** A runtime state with one ready sandbox and the given containers (newest first). */
export function runtimeState(
  uid: string,
  containers: RuntimeContainer[],
  sandboxReady = true,
): RuntimePodState {
  return {
    uid,
    sandboxes: [{ id: 'sb1', attempt: 0, ready: sandboxReady, createdAt: 500, ip: '10.244.1.5' }],
    containers,
  };
}
