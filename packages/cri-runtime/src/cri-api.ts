// The CRI runtime.v1 generated code (messages, RuntimeServiceService/ImageServiceService
// definitions, clients), owned by this package and generated into @keelson/api
// (packages/api/src/cri.ts). Imported through this one module so that switching to
// `import { cri } from '@keelson/api'` once the api index re-exports it is a one-line change.
export * from '../../api/src/cri';
