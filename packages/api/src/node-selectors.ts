/**
 * Node selector and toleration matching (k8s.io/component-helpers scheduling/corev1:
 * MatchNodeSelectorTerms, and core/v1 Toleration.ToleratesTaint), shared by the scheduler, the
 * DaemonSet and node lifecycle controllers and the volume binder.
 */
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, PodSpec, Taint, Toleration } from './core-v1';

/**
 * One requirement against a value: a node label (matchExpressions) or field (matchFields).
 * Gt/Lt take exactly one integer value and compare integers.
 */
export function nodeSelectorRequirementMatches(
  r: NodeSelectorRequirement,
  value: string | undefined,
): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1) return false;
      const a = Number.parseInt(value, 10);
      const b = Number.parseInt(values[0]!, 10);
      if (Number.isNaN(a) || Number.isNaN(b)) return false;
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

/**
 * A term matches when all its expressions (node labels) and fields (only `metadata.name`) match;
 * an empty term matches nothing.
 */
export function nodeSelectorTermMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (!exprs.length && !fields.length) return false;
  const labels = node.metadata.labels ?? {};
  return (
    exprs.every((r) => nodeSelectorRequirementMatches(r, labels[r.key])) &&
    fields.every((r) => r.key === 'metadata.name' && nodeSelectorRequirementMatches(r, node.metadata.name))
  );
}

/** The terms are ORed: any matching term admits the node. */
export function nodeSelectorTermsMatch(terms: NodeSelectorTerm[], node: Node): boolean {
  return terms.some((t) => nodeSelectorTermMatches(t, node));
}

/**
 * A pod spec's nodeSelector (every label equal) and required node affinity
 * (requiredDuringSchedulingIgnoredDuringExecution) both admit the node
 * (component-helpers nodeaffinity.GetRequiredNodeAffinity().Match).
 */
export function podSpecMatchesNode(
  spec: Pick<PodSpec, 'nodeSelector' | 'affinity'> | undefined,
  node: Node,
): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return required ? nodeSelectorTermsMatch(required.nodeSelectorTerms ?? [], node) : true;
}

/**
 * Toleration.ToleratesTaint: the effect matches (empty: all), the key matches (empty with Exists:
 * all keys), and with Equal the values are equal.
 */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
      return !!t.key && (t.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}
