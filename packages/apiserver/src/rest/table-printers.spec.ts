import { columnDefinitions, humanDuration, tableRow, toTable } from './table-printers';

it('formats durations like HumanDuration', () => {
  expect(humanDuration(5_000)).toBe('5s');
  expect(humanDuration(119_000)).toBe('119s');
  expect(humanDuration(150_000)).toBe('2m30s');
  expect(humanDuration(25 * 60_000)).toBe('25m');
  expect(humanDuration(4 * 3600_000 + 5 * 60_000)).toBe('4h5m');
  expect(humanDuration(30 * 3600_000)).toBe('30h');
  expect(humanDuration(3 * 86400_000 + 2 * 3600_000)).toBe('3d2h');
  expect(humanDuration(40 * 86400_000)).toBe('40d');
});

it('derives pod STATUS and READY as kubectl shows them', () => {
  const now = Date.parse('2026-01-01T01:00:00Z');
  const pod = (status: object, meta: object = {}) => ({
    metadata: { name: 'p', creationTimestamp: '2026-01-01T00:00:00Z', ...meta },
    spec: { containers: [{ name: 'a' }, { name: 'b' }] },
    status,
  });
  const cells = (o: object) => (tableRow('pods', o as never, 'None', now) as { cells: unknown[] }).cells;
  expect(cells(pod({ phase: 'Pending' }))).toEqual([
    'p',
    '0/2',
    'Pending',
    '0',
    '60m',
    '<none>',
    '<none>',
    '<none>',
    '<none>',
  ]);
  const running = {
    phase: 'Running',
    podIP: '10.244.0.5',
    containerStatuses: [
      { name: 'a', ready: true, restartCount: 1, state: { running: {} } },
      { name: 'b', ready: false, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } },
    ],
  };
  expect(cells(pod(running)).slice(1, 4)).toEqual(['1/2', 'CrashLoopBackOff', '3']);
  expect(cells(pod({ phase: 'Running' }, { deletionTimestamp: '2026-01-01T00:59:00Z' }))[2]).toBe(
    'Terminating',
  );
  expect(
    cells(
      pod({
        phase: 'Pending',
        initContainerStatuses: [{ name: 'i', state: { waiting: { reason: 'PodInitializing' } } }],
      }),
    )[2],
  ).toBe('Init:0/0');
});

it('builds Tables with column definitions once and PartialObjectMetadata rows', () => {
  const t = toTable(
    'services',
    {
      kind: 'ServiceList',
      metadata: { resourceVersion: '5' },
      items: [
        {
          metadata: { name: 's' },
          spec: {
            type: 'NodePort',
            clusterIP: '10.96.0.9',
            ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }],
          },
        },
      ],
    } as never,
    'Metadata',
  ) as any;
  expect(t.columnDefinitions.map((c: { name: string }) => c.name)).toEqual([
    'Name',
    'Type',
    'Cluster-IP',
    'External-IP',
    'Port(s)',
    'Age',
    'Selector',
  ]);
  expect(t.rows[0].cells.slice(0, 5)).toEqual(['s', 'NodePort', '10.96.0.9', '<none>', '80:30080/TCP']);
  expect(t.rows[0].object.kind).toBe('PartialObjectMetadata');
  expect(columnDefinitions('unknownthings').map((c) => c.name)).toEqual(['Name', 'Age']);
});
