import { MAX_NODE_SCORE } from '../framework/interface';
import { Status } from '../framework/status';

/**
 * Rescales scores to [0, MAX_NODE_SCORE] by the maximum (kube-scheduler helper.DefaultNormalizeScore);
 * `reverse` turns "more is worse" into "more is better". All-zero scores become MAX when reversed.
 */
export function defaultNormalize(scores: Map<string, number>, reverse: boolean): Status {
  let max = 0;
  for (const v of scores.values()) max = Math.max(max, v);
  for (const [k, v] of scores) {
    if (max === 0) scores.set(k, reverse ? MAX_NODE_SCORE : 0);
    else {
      const s = Math.floor((MAX_NODE_SCORE * v) / max);
      scores.set(k, reverse ? MAX_NODE_SCORE - s : s);
    }
  }
  return Status.success();
}
