import { ITEMS_JSON, toJson } from './serialize';

it('splices cached item JSON into the list document', () => {
  const items = [{ metadata: { name: 'a' } }, { metadata: { name: 'b' } }];
  const list = { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '7' }, items };
  Object.defineProperty(list, ITEMS_JSON, {
    value: () => items.map((i) => JSON.stringify(i)),
    enumerable: false,
  });
  expect(JSON.parse(toJson(list))).toEqual(list);
  expect(toJson(list)).toBe(JSON.stringify(list));
  expect(toJson({ a: 1 })).toBe('{"a":1}');
});
