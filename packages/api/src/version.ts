/**
 * The Kubernetes version every Keelson component reports: the apiserver's `/version`, each
 * component's `/version` and `kubernetes_build_info` metric, and the kubelet's
 * `nodeInfo.kubeletVersion` (kubectl's version skew checks read the minor).
 */

/** major, minor and gitVersion of the Kubernetes release Keelson follows. */
export const KUBE_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0-keelson' } as const;

/** The `/version` document (k8s.io/apimachinery version.Info) of a Keelson component. */
export function versionInfo(): Record<string, string> {
  return {
    major: KUBE_VERSION.major,
    minor: KUBE_VERSION.minor,
    gitVersion: KUBE_VERSION.gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'tsc',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}
