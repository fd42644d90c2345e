import { packageConfig } from '../../tsup.base.mjs';

// Every bare import stays external: level loads a native addon that cannot be bundled, and the
// other runtime dependencies (grpc-js, protobuf, commander) come from the workspace root.
export default packageConfig(__dirname).map((c: Record<string, unknown>) => ({ ...c, external: [/^[^./]/] }));
