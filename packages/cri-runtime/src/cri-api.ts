// The CRI runtime.v1 generated code (messages, RuntimeServiceService/ImageServiceService
// definitions, grpc-js clients), generated from proto/runtime/v1/api.proto into @keelson/api and
// exported there as the `@keelson/api/cri` subpath. Imported through this one module.
export * from '@keelson/api/cri';
