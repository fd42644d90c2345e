import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import {
  CompactedError,
  DuplicateKeyError,
  EmptyKeyError,
  FutureRevisionError,
  InvalidArgumentError,
  InvalidRangeError,
  StoreClosedError,
  StoreFailedError,
  StoreUnavailableError,
  ValueTooLargeError,
} from '../errors';
import { ERROR_CLASS_KEY, errorFromStatus, errorToStatus } from './convert';
import { MvccStore } from '../mvcc-store';
import { startStoreServer } from './server';
import { KVServiceClient, type PutResponse, type RangeResponse } from '../generated/keelson/store/v1/kv';

describe('store errors as gRPC statuses', () => {
  it.each([
    [new EmptyKeyError(), status.INVALID_ARGUMENT],
    [new ValueTooLargeError(2_000_000, 1_572_864), status.INVALID_ARGUMENT],
    [new InvalidRangeError('bad range'), status.INVALID_ARGUMENT],
    [new DuplicateKeyError('dup'), status.INVALID_ARGUMENT],
    [new InvalidArgumentError('bad'), status.INVALID_ARGUMENT],
    [new CompactedError(42), status.OUT_OF_RANGE],
    [new FutureRevisionError(7), status.OUT_OF_RANGE],
    [new StoreClosedError(), status.UNAVAILABLE],
    [new StoreFailedError('disk'), status.INTERNAL],
    [new StoreUnavailableError(status.RESOURCE_EXHAUSTED, 'slow'), status.RESOURCE_EXHAUSTED],
  ])('round-trips %s', (err, code) => {
    const st = errorToStatus(err);
    expect(st.code).toBe(code);
    const back = errorFromStatus(st as ServiceError);
    expect(back.constructor).toBe(err.constructor);
    expect(back.message).toBe(err.message);
    for (const field of ['compactRevision', 'currentRevision', 'size', 'code'] as const) {
      if (field in err)
        expect((back as unknown as Record<string, unknown>)[field]).toBe(
          (err as unknown as Record<string, unknown>)[field],
        );
    }
  });

  it('maps a foreign status to StoreUnavailableError with its code', () => {
    const e = errorFromStatus({ code: status.DEADLINE_EXCEEDED, details: 'deadline' });
    expect(e).toBeInstanceOf(StoreUnavailableError);
    expect((e as StoreUnavailableError).code).toBe(status.DEADLINE_EXCEEDED);
  });

  it('is what the server sends for bad input and compacted reads (raw client, no RemoteStore checks)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keelson-convert-'));
    const store = await MvccStore.open(dir, { sync: false, progressIntervalMs: 0 });
    const server = await startStoreServer(store, '127.0.0.1:0');
    const raw = new KVServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
    try {
      const put = (key: string) =>
        new Promise<ServiceError | PutResponse>((r) =>
          raw.put({ key, value: Buffer.from('v'), prevKv: false }, (err, res) => r(err ?? res)),
        );
      const empty = (await put('')) as ServiceError;
      expect(empty.code).toBe(status.INVALID_ARGUMENT);
      expect(empty.metadata.get(ERROR_CLASS_KEY)).toEqual(['EmptyKeyError']);
      for (let i = 0; i < 3; i++) await put('k');
      await store.compact(3);
      const compacted = await new Promise<ServiceError | RangeResponse>((r) =>
        raw.range(
          { key: 'k', prefix: false, limit: 0, revision: 2, countOnly: false, keysOnly: false },
          (err, res) => r(err ?? res),
        ),
      );
      const back = errorFromStatus(compacted as ServiceError);
      expect(back).toBeInstanceOf(CompactedError);
      expect((back as CompactedError).compactRevision).toBe(3);
    } finally {
      raw.close();
      await server.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
