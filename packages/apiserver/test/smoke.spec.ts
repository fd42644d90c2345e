import { startTestServer, type TestServer } from './helpers';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.close();
});

it('smoke', async () => {
  const r = await t.kubectl(['get', 'ns', '-v=6']);
  console.log(r.stdout, r.stderr);
  const r2 = await t.kubectl(['create', 'configmap', 'c1', '--from-literal=a=b']);
  console.log(r2.stdout, r2.stderr);
  const r3 = await t.kubectl(['get', 'cm', '-o', 'yaml']);
  console.log(r3.stdout, r3.stderr);
});
