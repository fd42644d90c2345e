import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { MvccStore } from '../mvcc-store';
import { startStoreServer, type StoreServer } from './server';
import { WatchServiceClient, type WatchResponse } from '../generated/keelson/store/v1/kv';

describe('gRPC watch with a client that stops reading', () => {
  let dir: string;
  let local: MvccStore;
  let server: StoreServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keelson-slow-watch-'));
    local = await MvccStore.open(dir, { sync: false, progressIntervalMs: 0 });
    server = await startStoreServer(local, '127.0.0.1:0', { maxBufferedWatchResponses: 50 });
  });
  afterAll(async () => {
    await server.close();
    await local.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ends the stream with RESOURCE_EXHAUSTED instead of buffering without bound', async () => {
    const client = new WatchServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
    const stream = client.watch({
      key: '/s/',
      prefix: true,
      startRevision: 2,
      prevKv: false,
      progressNotify: false,
    });
    const created = new Promise<void>((r) => stream.once('data', (m: WatchResponse) => m.created && r()));
    await created;
    stream.pause();
    const value = new Uint8Array(4096);
    // Far more than the HTTP/2 windows hold, one txn per put, so one response per put.
    for (let i = 0; i < 600; i++) await local.put(`/s/${i}`, value);
    const err = await new Promise<ServiceError>((resolve) => {
      stream.on('error', resolve);
      stream.on('data', () => undefined);
      stream.resume();
    });
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(err.details).toMatch(/too slow/);
    expect(local.watchCount).toBe(0);
    client.close();
  });
});
