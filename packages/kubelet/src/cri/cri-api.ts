// CRI runtime.v1 generated code (messages, enums, grpc-js clients), generated into @keelson/api
// (packages/api/src/cri.ts). @keelson/api does not export a "./cri" subpath yet, so every kubelet
// module imports CRI through this one file; switching to the package export is a one-line change.
export * from '../../../api/src/cri';
