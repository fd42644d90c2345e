/**
 * Opens a {@link Storage} from a `--storage` spec:
 * - `memory` — in-process {@link MemoryKV} (nothing persisted);
 * - `embedded:DIR` — @keelson/store's MvccStore on LevelDB in DIR, in-process;
 * - `store:HOST:PORT[,HOST:PORT...]` — @keelson/store's RemoteStore (gRPC to keelson-store);
 * - `etcd:URL[,URL...]` — an etcd v3 cluster through the etcd3 client.
 * Throws Error for an unknown scheme or when @keelson/store lacks what the spec needs.
 */
import type { Storage } from './interfaces';
import { KvStorage } from './kv-storage';
import type { KV } from './kv-types';
import { MemoryKV } from './memory-kv';

type StoreModule = {
  MvccStore?: { open(dir: string, ...rest: unknown[]): Promise<KV> };
  RemoteStore?: new (address: string, ...rest: unknown[]) => KV;
};

async function storeModule(): Promise<StoreModule> {
  return (await import('@keelson/store')) as unknown as StoreModule;
}

/**
 * The gRPC target for `store:` addresses: one "host:port" as is; several IPv4 "a:p,b:q" as the
 * grpc-js multi-address target "ipv4:a:p,b:q" (pick-first across members); otherwise the first.
 */
export function remoteTarget(arg: string): string {
  const addrs = arg
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (addrs.length <= 1) return addrs[0] ?? arg;
  if (addrs.every((a) => /^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(a))) return `ipv4:${addrs.join(',')}`;
  return addrs[0];
}

/** Parses and opens a storage spec. */
export async function openStorage(spec: string): Promise<Storage> {
  const i = spec.indexOf(':');
  const scheme = i < 0 ? spec : spec.slice(0, i);
  const arg = i < 0 ? '' : spec.slice(i + 1);
  switch (scheme) {
    case 'memory':
      return new KvStorage(new MemoryKV());
    case 'embedded': {
      if (!arg) throw new Error('--storage embedded:DIR needs a directory');
      const m = await storeModule();
      if (!m.MvccStore) throw new Error('@keelson/store does not export MvccStore yet; use --storage memory');
      return new KvStorage(await m.MvccStore.open(arg));
    }
    case 'store': {
      if (!arg) throw new Error('--storage store:HOST:PORT needs an address');
      const m = await storeModule();
      if (!m.RemoteStore) throw new Error('@keelson/store does not export RemoteStore yet');
      return new KvStorage(new m.RemoteStore(remoteTarget(arg)));
    }
    case 'etcd': {
      if (!arg) throw new Error('--storage etcd:URL needs at least one URL');
      const { EtcdStorage } = await import('./etcd-storage');
      return new EtcdStorage(
        arg
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      );
    }
    default:
      throw new Error(
        `unknown storage "${spec}": expected memory, embedded:DIR, store:ADDR[,ADDR] or etcd:URL[,URL]`,
      );
  }
}
