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

/**
 * The `kubernetes_build_info` gauge every component exports (component-base/metrics
 * RegisterBuildInfo): its name, help and label names, and the label values of this build
 * (from {@link versionInfo}); the gauge's value is always 1.
 */
export function buildInfoMetric(): { name: string; help: string; labels: Record<string, string> } {
  const v = versionInfo();
  return {
    name: 'kubernetes_build_info',
    help: 'A metric with a constant 1 value labeled by major, minor, git version, git commit, git tree state, build date, Go version, and compiler from which Kubernetes was built, and platform on which it is running.',
    labels: {
      major: v.major!,
      minor: v.minor!,
      git_version: v.gitVersion!,
      git_commit: v.gitCommit!,
      git_tree_state: v.gitTreeState!,
      build_date: v.buildDate!,
      go_version: v.goVersion!,
      compiler: v.compiler!,
      platform: v.platform!,
    },
  };
}
