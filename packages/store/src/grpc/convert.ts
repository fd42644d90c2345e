// Conversions between the TS contract (types.ts) and keelson.store.v1 messages, and between the
// store's named errors and gRPC statuses (metadata `keelson-store-error` carries the class name).
import { Metadata, status as GrpcStatus, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import {
  CompactedError,
  DuplicateKeyError,
  EmptyKeyError,
  FutureRevisionError,
  InvalidArgumentError,
  InvalidRangeError,
  StoreClosedError,
  StoreError,
  StoreFailedError,
  StoreUnavailableError,
  ValueTooLargeError,
} from '../errors';
import {
  Compare_Result,
  Compare_Target,
  Event_EventType,
  type Compare as PbCompare,
  type Event as PbEvent,
  type KeyValue as PbKeyValue,
  type RangeRequest as PbRangeRequest,
  type RangeResponse as PbRangeResponse,
  type RequestOp,
  type ResponseOp,
} from '../generated/keelson/store/v1/kv';
import type { Compare, KeyValue, RangeOptions, RangeResult, TxnOp, TxnResult, WatchEvent } from '../types';

/** Metadata key naming the error class. */
export const ERROR_CLASS_KEY = 'keelson-store-error';
/** Metadata key with the compact revision of a CompactedError. */
export const COMPACT_REVISION_KEY = 'keelson-compact-revision';
/** Metadata key with the current revision of a FutureRevisionError. */
export const CURRENT_REVISION_KEY = 'keelson-current-revision';

function buf(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** KeyValue → keelson.store.v1.KeyValue (value bytes shared, not copied). */
export function kvToPb(kv: KeyValue): PbKeyValue {
  return {
    key: kv.key,
    value: buf(kv.value),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
  };
}

/** keelson.store.v1.KeyValue → KeyValue. */
export function kvFromPb(kv: PbKeyValue): KeyValue {
  return {
    key: kv.key,
    value: kv.value,
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
  };
}

/** A range call → RangeRequest (absent numbers become 0 = "none"/"current"). */
export function rangeToPb(key: string, o: RangeOptions = {}): PbRangeRequest {
  return {
    key,
    end: o.end,
    prefix: !!o.prefix,
    limit: o.limit ?? 0,
    revision: o.revision ?? 0,
    countOnly: !!o.countOnly,
    keysOnly: !!o.keysOnly,
  };
}

/** RangeRequest → RangeOptions. */
export function rangeFromPb(r: PbRangeRequest): RangeOptions {
  return {
    end: r.end,
    prefix: r.prefix,
    limit: r.limit,
    revision: r.revision,
    countOnly: r.countOnly,
    keysOnly: r.keysOnly,
  };
}

/** RangeResult → RangeResponse. */
export function rangeResultToPb(r: RangeResult): PbRangeResponse {
  return { kvs: r.kvs.map(kvToPb), count: r.count, more: r.more, revision: r.revision };
}

/** RangeResponse → RangeResult. */
export function rangeResultFromPb(r: PbRangeResponse): RangeResult {
  return { kvs: r.kvs.map(kvFromPb), count: r.count, more: r.more, revision: r.revision };
}

const TARGET_TO_PB = {
  value: Compare_Target.TARGET_VALUE,
  version: Compare_Target.TARGET_VERSION,
  createRevision: Compare_Target.TARGET_CREATE_REVISION,
  modRevision: Compare_Target.TARGET_MOD_REVISION,
} as const;
const RESULT_TO_PB = {
  '=': Compare_Result.RESULT_EQUAL,
  '!=': Compare_Result.RESULT_NOT_EQUAL,
  '<': Compare_Result.RESULT_LESS,
  '>': Compare_Result.RESULT_GREATER,
} as const;

function invert<K extends string, V extends number>(m: Record<K, V>): Map<number, K> {
  return new Map(Object.entries(m).map(([k, v]) => [v as number, k as K]));
}
const TARGET_FROM_PB = invert(TARGET_TO_PB);
const RESULT_FROM_PB = invert(RESULT_TO_PB);

/** Compare → keelson.store.v1.Compare (bytes operand for value, number otherwise). */
export function compareToPb(c: Compare): PbCompare {
  return {
    key: c.key,
    target: TARGET_TO_PB[c.target] ?? Compare_Target.TARGET_UNSPECIFIED,
    result: RESULT_TO_PB[c.result] ?? Compare_Result.RESULT_UNSPECIFIED,
    operand:
      c.value instanceof Uint8Array
        ? { $case: 'value', value: buf(c.value) }
        : { $case: 'number', value: c.value },
  };
}

/** @throws InvalidArgumentError for unknown enum values. */
export function compareFromPb(c: PbCompare): Compare {
  const target = TARGET_FROM_PB.get(c.target);
  const result = RESULT_FROM_PB.get(c.result);
  if (!target) throw new InvalidArgumentError(`unknown compare target ${c.target}`);
  if (!result) throw new InvalidArgumentError(`unknown compare result ${c.result}`);
  const value =
    c.operand?.$case === 'value'
      ? c.operand.value
      : c.operand?.$case === 'number'
        ? c.operand.value
        : undefined;
  return { key: c.key, target, result, value: value ?? (target === 'value' ? Buffer.alloc(0) : 0) };
}

/** TxnOp → RequestOp. @throws InvalidArgumentError for an unknown op type. */
export function opToPb(op: TxnOp): RequestOp {
  switch (op.type) {
    case 'put':
      return { request: { $case: 'put', value: { key: op.key, value: buf(op.value), prevKv: !!op.prevKv } } };
    case 'delete':
      return {
        request: {
          $case: 'delete',
          value: { key: op.key, end: op.end, prefix: !!op.prefix, prevKv: !!op.prevKv },
        },
      };
    case 'range':
      return { request: { $case: 'range', value: rangeToPb(op.key, op.options) } };
    default:
      throw new InvalidArgumentError(`unknown txn op type ${JSON.stringify((op as { type: unknown }).type)}`);
  }
}

/** @throws InvalidArgumentError for an empty op. */
export function opFromPb(op: RequestOp): TxnOp {
  const r = op.request;
  switch (r?.$case) {
    case 'put':
      return { type: 'put', key: r.value.key, value: r.value.value, prevKv: r.value.prevKv };
    case 'delete':
      return {
        type: 'delete',
        key: r.value.key,
        end: r.value.end,
        prefix: r.value.prefix,
        prevKv: r.value.prevKv,
      };
    case 'range':
      return { type: 'range', key: r.value.key, options: rangeFromPb(r.value) };
    default:
      throw new InvalidArgumentError('txn op without a request');
  }
}

/** One txn response → ResponseOp (per-op revision is 0; the txn carries it). */
export function responseToPb(r: TxnResult['responses'][number]): ResponseOp {
  switch (r.type) {
    case 'put':
      return { response: { $case: 'put', value: { revision: 0, prevKv: r.prevKv && kvToPb(r.prevKv) } } };
    case 'delete':
      return {
        response: {
          $case: 'delete',
          value: { revision: 0, deleted: r.deleted, prevKvs: r.prevKvs.map(kvToPb) },
        },
      };
    case 'range':
      return { response: { $case: 'range', value: rangeResultToPb(r.result) } };
  }
}

/** ResponseOp → one txn response. @throws StoreUnavailableError for an empty op. */
export function responseFromPb(r: ResponseOp): TxnResult['responses'][number] {
  const x = r.response;
  switch (x?.$case) {
    case 'put':
      return x.value.prevKv ? { type: 'put', prevKv: kvFromPb(x.value.prevKv) } : { type: 'put' };
    case 'delete':
      return { type: 'delete', deleted: x.value.deleted, prevKvs: x.value.prevKvs.map(kvFromPb) };
    case 'range':
      return { type: 'range', result: rangeResultFromPb(x.value) };
    default:
      throw new StoreUnavailableError(GrpcStatus.INTERNAL, 'txn response op without a response');
  }
}

/** WatchEvent → keelson.store.v1.Event. */
export function eventToPb(e: WatchEvent): PbEvent {
  return {
    type: e.type === 'put' ? Event_EventType.EVENT_TYPE_PUT : Event_EventType.EVENT_TYPE_DELETE,
    kv: kvToPb(e.kv),
    prevKv: e.prevKv && kvToPb(e.prevKv),
  };
}

/** keelson.store.v1.Event → WatchEvent. */
export function eventFromPb(e: PbEvent): WatchEvent {
  const out: WatchEvent = {
    type: e.type === Event_EventType.EVENT_TYPE_DELETE ? 'delete' : 'put',
    kv: kvFromPb(e.kv ?? { key: '', value: Buffer.alloc(0), createRevision: 0, modRevision: 0, version: 0 }),
  };
  if (e.prevKv) out.prevKv = kvFromPb(e.prevKv);
  return out;
}

/** The gRPC status a store error travels as. */
export function errorToStatus(err: unknown): Partial<StatusObject> {
  const e = err instanceof Error ? err : new Error(String(err));
  const metadata = new Metadata();
  let code: GrpcStatus = GrpcStatus.INTERNAL;
  if (e instanceof StoreError) {
    metadata.set(ERROR_CLASS_KEY, e.name);
    if (e instanceof InvalidArgumentError) code = GrpcStatus.INVALID_ARGUMENT;
    else if (e instanceof CompactedError) {
      code = GrpcStatus.OUT_OF_RANGE;
      metadata.set(COMPACT_REVISION_KEY, String(e.compactRevision));
    } else if (e instanceof FutureRevisionError) {
      code = GrpcStatus.OUT_OF_RANGE;
      metadata.set(CURRENT_REVISION_KEY, String(e.currentRevision));
    } else if (e instanceof StoreClosedError) code = GrpcStatus.UNAVAILABLE;
    else if (e instanceof StoreUnavailableError) code = e.code;
    if (e instanceof ValueTooLargeError) metadata.set('keelson-value-size', String(e.size));
  }
  return { code, details: e.message, metadata };
}

/** Re-creates the named store error a gRPC status carries; other statuses → StoreUnavailableError. */
export function errorFromStatus(err: Partial<ServiceError>): Error {
  const md = err.metadata;
  const cls = md?.get(ERROR_CLASS_KEY)[0]?.toString();
  const msg = err.details ?? err.message ?? 'unknown error';
  const num = (k: string) => Number(md?.get(k)[0]?.toString() ?? 0);
  let out: Error;
  switch (cls) {
    case 'CompactedError':
      return new CompactedError(num(COMPACT_REVISION_KEY), msg);
    case 'FutureRevisionError':
      return new FutureRevisionError(num(CURRENT_REVISION_KEY), msg);
    case 'ValueTooLargeError':
      out = new ValueTooLargeError(num('keelson-value-size'), 0);
      break;
    case 'EmptyKeyError':
      return new EmptyKeyError(msg);
    case 'InvalidRangeError':
      return new InvalidRangeError(msg);
    case 'DuplicateKeyError':
      return new DuplicateKeyError(msg);
    case 'InvalidArgumentError':
      return new InvalidArgumentError(msg);
    case 'StoreClosedError':
      return new StoreClosedError(msg);
    case 'StoreFailedError':
      return new StoreFailedError(msg);
    case 'StoreUnavailableError':
      return new StoreUnavailableError(err.code ?? GrpcStatus.UNKNOWN, msg);
    default:
      return new StoreUnavailableError(err.code ?? GrpcStatus.UNKNOWN, msg);
  }
  out.message = msg;
  return out;
}
