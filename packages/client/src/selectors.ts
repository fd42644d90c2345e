/**
 * Selector matching for the fake clientset and listers, on top of @keelson/api's label and field
 * selector parsers (apimachinery `pkg/labels` and `pkg/fields`). Parse failures become
 * ApiError 400 BadRequest, as the apiserver answers them.
 */
import {
  FieldSelectorParseError,
  LabelSelectorParseError,
  parseFieldSelector,
  parseLabelSelector,
  type FieldSelector,
  type KubeObject,
  type Selector,
} from '@keelson/api';
import { newBadRequest } from './errors';

const labelCache = new Map<string, Selector>();
const fieldCache = new Map<string, FieldSelector>();
const CACHE_MAX = 512;

function cached<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let v = cache.get(key);
  if (v === undefined) {
    try {
      v = make();
    } catch (e) {
      if (e instanceof LabelSelectorParseError || e instanceof FieldSelectorParseError)
        throw newBadRequest(e.message);
      throw e;
    }
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(key, v);
  }
  return v;
}

/** Parses a label selector string ("app=web,tier in (a,b)"). Throws ApiError 400 on a syntax error. */
export function compileLabelSelector(selector: string | undefined): Selector {
  return cached(labelCache, selector ?? '', () => parseLabelSelector(selector ?? ''));
}

/** Parses a field selector string ("spec.nodeName=n1,status.phase!=Failed"). Throws ApiError 400 on a syntax error. */
export function compileFieldSelector(selector: string | undefined): FieldSelector {
  return cached(fieldCache, selector ?? '', () => parseFieldSelector(selector ?? ''));
}

/**
 * True when `obj` matches both selector strings (ListOptions.labelSelector / fieldSelector).
 * Field selectors use the kind's field label set (metadata.name, metadata.namespace for all kinds;
 * spec.nodeName, status.phase ... for pods; see @keelson/api supportedFieldSelectors).
 * Throws ApiError 400 for a syntax error or a field the kind does not support.
 */
export function matchesSelectors(
  obj: KubeObject,
  labelSelector?: string,
  fieldSelector?: string,
  kind?: string,
): boolean {
  if (labelSelector && !compileLabelSelector(labelSelector).matches(obj.metadata?.labels ?? {})) return false;
  if (fieldSelector) {
    const fs = compileFieldSelector(fieldSelector);
    if (fs.empty()) return true;
    try {
      return fs.matches(obj, kind ?? obj.kind ?? '');
    } catch (e) {
      if (e instanceof FieldSelectorParseError) throw newBadRequest(e.message);
      throw e;
    }
  }
  return true;
}

/** Validates selector strings up front (a watch or list with a bad selector fails with 400). */
export function validateSelectors(
  labelSelector: string | undefined,
  fieldSelector: string | undefined,
  kind: string,
): void {
  compileLabelSelector(labelSelector);
  const fs = compileFieldSelector(fieldSelector);
  try {
    fs.validateFor(kind);
  } catch (e) {
    if (e instanceof FieldSelectorParseError) throw newBadRequest(e.message);
    throw e;
  }
}
