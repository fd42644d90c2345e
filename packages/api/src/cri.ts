// CRI runtime.v1 (generated from proto/runtime/v1/api.proto): messages, RuntimeService and ImageService
// service definitions and grpc-js clients. Owned by @keelson/cri-runtime.
export * from './generated/runtime/v1/api';
