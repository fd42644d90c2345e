/**
 * Label selectors (apimachinery `pkg/labels` and metav1.LabelSelectorAsSelector).
 *
 * String syntax (labels.Parse): comma-separated requirements, each one of
 * `key=value`, `key==value`, `key!=value`, `key in (a,b)`, `key notin (a,b)`, `key`, `!key`,
 * `key>5`, `key<5`. Keys must be qualified names, values valid label values.
 *
 * Empty vs nil, as upstream:
 * - `parseLabelSelector("")` and `labelSelectorFromStructured({})` match EVERYTHING;
 * - `labelSelectorFromStructured(undefined)` (a nil *LabelSelector) matches NOTHING.
 */
import { LabelSelectorParseError } from './errors';
import type { LabelSelector } from './meta';
import { isQualifiedName, isValidLabelValue } from './validation/names';

/** Requirement operators, spelled as upstream selection.Operator. */
export type SelectorOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

/** One requirement of a selector. values is sorted for in/notin. */
export interface LabelRequirement {
  /** Label key (a qualified name). */
  key: string;
  /** How the label's value is tested. */
  operator: SelectorOperator;
  /** The values; one for =, ==, !=, gt, lt; none for exists and "!"; sorted for in/notin. */
  values: string[];
}

/** A parsed label selector. */
export class Selector {
  /** Requirements sorted by key (ANDed). Empty means "everything" unless nothing is true. */
  readonly requirements: readonly LabelRequirement[];
  /** True for the selector that matches no object (from a nil structured selector). */
  readonly nothing: boolean;

  constructor(requirements: LabelRequirement[], nothing = false) {
    this.requirements = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.nothing = nothing;
  }

  /** Matches everything. */
  static everything(): Selector {
    return new Selector([]);
  }

  /** Matches nothing. */
  static nothingSelector(): Selector {
    return new Selector([], true);
  }

  /** True when this selector places no restriction (matches everything). */
  empty(): boolean {
    return !this.nothing && this.requirements.length === 0;
  }

  /** True when every requirement holds for labels (undefined = no labels). */
  matches(labels: Record<string, string> | undefined): boolean {
    if (this.nothing) return false;
    const ls = labels ?? {};
    return this.requirements.every((r) => requirementMatches(r, ls));
  }

  /** The canonical string form (labels.Selector.String), e.g. "app=web,tier in (a,b)". "" for everything/nothing. */
  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }

  /** The value an exact-match requirement (=, ==, in with one value) demands for key, if any. */
  requiresExactMatch(key: string): string | undefined {
    const r = this.requirements.find((x) => x.key === key);
    if (!r) return undefined;
    if ((r.operator === '=' || r.operator === '==' || r.operator === 'in') && r.values.length === 1)
      return r.values[0];
    return undefined;
  }
}

function has(ls: Record<string, string>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(ls, key);
}

function requirementMatches(r: LabelRequirement, ls: Record<string, string>): boolean {
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has(ls, r.key) && r.values.includes(ls[r.key]);
    case 'notin':
    case '!=':
      return !has(ls, r.key) || !r.values.includes(ls[r.key]);
    case 'exists':
      return has(ls, r.key);
    case '!':
      return !has(ls, r.key);
    case 'gt':
    case 'lt': {
      if (!has(ls, r.key) || !/^[+-]?[0-9]+$/.test(ls[r.key]) || r.values.length !== 1) return false;
      const a = BigInt(ls[r.key]);
      const b = BigInt(r.values[0]);
      return r.operator === 'gt' ? a > b : a < b;
    }
  }
}

function requirementString(r: LabelRequirement): string {
  const values = [...r.values].sort();
  switch (r.operator) {
    case '!':
      return `!${r.key}`;
    case 'exists':
      return r.key;
    case 'in':
      return `${r.key} in (${values.join(',')})`;
    case 'notin':
      return `${r.key} notin (${values.join(',')})`;
    case 'gt':
      return `${r.key}>${values[0]}`;
    case 'lt':
      return `${r.key}<${values[0]}`;
    default:
      return `${r.key}${r.operator}${values.join(',')}`;
  }
}

/**
 * Builds and validates a requirement (labels.NewRequirement).
 * @throws LabelSelectorParseError with upstream field-error text, e.g.
 *   `key: Invalid value: "a b": name part must consist of ...`.
 */
export function newRequirement(key: string, operator: SelectorOperator, values: string[]): LabelRequirement {
  const errs: string[] = [];
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length) errs.push(`key: Invalid value: ${JSON.stringify(key)}: ${keyErrs.join('; ')}`);
  const vals = JSON.stringify(values);
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0)
        errs.push(`values: Invalid value: ${vals}: for 'in', 'notin' operators, values set can't be empty`);
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1)
        errs.push(`values: Invalid value: ${vals}: exact-match compatibility requires one single value`);
      break;
    case 'exists':
    case '!':
      if (values.length !== 0)
        errs.push(`values: Invalid value: ${vals}: values set must be empty for exists and does not exist`);
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1)
        errs.push(`values: Invalid value: ${vals}: for 'Gt', 'Lt' operators, exactly one value is required`);
      values.forEach((v, i) => {
        if (!/^[+-]?[0-9]+$/.test(v)) {
          errs.push(
            `values[${i}]: Invalid value: ${JSON.stringify(v)}: for 'Gt', 'Lt' operators, the value must be an integer`,
          );
        }
      });
      break;
    default:
      errs.push(
        `operator: Unsupported value: ${JSON.stringify(operator)}: supported values: "in", "notin", "=", "==", "!=", "gt", "lt", "exists", "!"`,
      );
  }
  values.forEach((v, i) => {
    const m = isValidLabelValue(v);
    if (m.length) errs.push(`values[${i}][${key}]: Invalid value: ${JSON.stringify(v)}: ${m.join('; ')}`);
  });
  if (errs.length === 1) throw new LabelSelectorParseError(errs[0]);
  if (errs.length > 1) throw new LabelSelectorParseError(`[${errs.join(', ')}]`);
  const sorted = operator === 'in' || operator === 'notin' ? [...new Set(values)].sort() : [...values];
  return { key, operator, values: sorted };
}

// ---------------------------------------------------------------------------------------------
// Lexer and parser (labels.Parse)

type Tok = 'ERROR' | 'EOS' | ')' | ',' | '!' | '==' | '=' | '>' | 'ID' | 'in' | '<' | '!=' | 'notin' | '(';

const KEYWORDS: Record<string, Tok> = {
  ')': ')',
  ',': ',',
  '!': '!',
  '==': '==',
  '=': '=',
  '>': '>',
  in: 'in',
  '<': '<',
  '!=': '!=',
  notin: 'notin',
  '(': '(',
};

const isWhitespace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isSpecial = (c: string) => '=!(),><'.includes(c) && c !== '';

function lex(s: string): { tok: Tok; lit: string }[] {
  const out: { tok: Tok; lit: string }[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && isWhitespace(s[pos])) pos++;
    if (pos >= s.length) {
      out.push({ tok: 'EOS', lit: '' });
      return out;
    }
    if (isSpecial(s[pos])) {
      let buf = '';
      let last: { tok: Tok; lit: string } | undefined;
      while (pos < s.length && isSpecial(s[pos])) {
        buf += s[pos];
        pos++;
        const t = KEYWORDS[buf];
        if (t) last = { tok: t, lit: buf };
        else if (last) {
          pos--;
          break;
        }
      }
      out.push(last ?? { tok: 'ERROR', lit: `error expected: keyword found '${buf}'` });
    } else {
      let buf = '';
      while (pos < s.length && !isSpecial(s[pos]) && !isWhitespace(s[pos])) buf += s[pos++];
      out.push({ tok: KEYWORDS[buf] ?? 'ID', lit: buf });
    }
  }
}

class Parser {
  private pos = 0;
  constructor(private readonly items: { tok: Tok; lit: string }[]) {}

  private look(values: boolean): { tok: Tok; lit: string } {
    const it = this.items[this.pos];
    return values && (it.tok === 'in' || it.tok === 'notin') ? { tok: 'ID', lit: it.lit } : it;
  }
  private consume(values: boolean): { tok: Tok; lit: string } {
    const it = this.look(values);
    this.pos++;
    return it;
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    for (;;) {
      const { tok, lit } = this.look(true);
      if (tok === 'ID' || tok === '!') {
        let r: LabelRequirement;
        try {
          r = this.requirement();
        } catch (e) {
          throw new LabelSelectorParseError(`unable to parse requirement: ${(e as Error).message}`);
        }
        reqs.push(r);
        const t = this.consume(true);
        if (t.tok === 'EOS') return reqs;
        if (t.tok === ',') {
          const t2 = this.look(true);
          if (t2.tok !== 'ID' && t2.tok !== '!') {
            throw new LabelSelectorParseError(`found '${t2.lit}', expected: identifier after ','`);
          }
        } else {
          throw new LabelSelectorParseError(`found '${t.lit}', expected: ',' or 'end of string'`);
        }
      } else if (tok === 'EOS') {
        return reqs;
      } else {
        throw new LabelSelectorParseError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  private requirement(): LabelRequirement {
    let notExists = false;
    let t = this.consume(true);
    if (t.tok === '!') {
      notExists = true;
      t = this.consume(true);
    }
    if (t.tok !== 'ID') throw new Error(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length)
      throw new Error(`<nil>: Invalid value: ${JSON.stringify(key)}: ${keyErrs.join('; ')}`);
    const next = this.look(true).tok;
    if (notExists || next === 'EOS' || next === ',') {
      return newRequirement(key, notExists ? '!' : 'exists', []);
    }
    const op = this.consume(false);
    let operator: SelectorOperator;
    switch (op.tok) {
      case 'in':
        operator = 'in';
        break;
      case 'notin':
        operator = 'notin';
        break;
      case '=':
        operator = '=';
        break;
      case '==':
        operator = '==';
        break;
      case '!=':
        operator = '!=';
        break;
      case '>':
        operator = 'gt';
        break;
      case '<':
        operator = 'lt';
        break;
      default:
        throw new Error(`found '${op.lit}', expected: in, notin, =, ==, !=, gt, lt`);
    }
    const values = operator === 'in' || operator === 'notin' ? this.values() : this.exactValue();
    return newRequirement(key, operator, values);
  }

  private values(): string[] {
    const t = this.consume(true);
    if (t.tok !== '(') throw new Error(`found '${t.lit}' expected: '('`);
    const { tok, lit } = this.look(true);
    if (tok === 'ID' || tok === ',') {
      const s = this.identifiers();
      if (this.consume(true).tok !== ')') throw new Error(`found '${lit}', expected: ')'`);
      return s;
    }
    if (tok === ')') {
      this.consume(true);
      return [''];
    }
    throw new Error(`found '${lit}', expected: ',', ')' or identifier`);
  }

  private identifiers(): string[] {
    const s = new Set<string>();
    for (;;) {
      const t = this.consume(true);
      if (t.tok === 'ID') {
        s.add(t.lit);
        const t2 = this.look(true);
        if (t2.tok === ',') continue;
        if (t2.tok === ')') return [...s];
        throw new Error(`found '${t2.lit}', expected: ',' or ')'`);
      } else if (t.tok === ',') {
        if (s.size === 0) s.add('');
        const t2 = this.look(true);
        if (t2.tok === ')') {
          s.add('');
          return [...s];
        }
        if (t2.tok === ',') {
          this.consume(true);
          s.add('');
        }
      } else {
        throw new Error(`found '${t.lit}', expected: ',', or identifier`);
      }
    }
  }

  private exactValue(): string[] {
    const { tok } = this.look(true);
    if (tok === 'EOS' || tok === ',') return [''];
    const t = this.consume(true);
    if (t.tok === 'ID') return [t.lit];
    throw new Error(`found '${t.lit}', expected: identifier`);
  }
}

/**
 * Parses a label selector string (labels.Parse). "" matches everything.
 * @throws LabelSelectorParseError with upstream's message, e.g.
 *   "found ')', expected: !, identifier, or 'end of string'" or
 *   "unable to parse requirement: found '', expected: in, notin, =, ==, !=, gt, lt".
 */
export function parseLabelSelector(selector: string): Selector {
  return new Selector(new Parser(lex(selector)).parse());
}

/**
 * Converts a structured metav1.LabelSelector (LabelSelectorAsSelector).
 * undefined/null → matches nothing; {} → matches everything.
 * @throws LabelSelectorParseError for an unknown operator (`"Foo" is not a valid label selector operator`)
 *   or invalid keys/values.
 */
export function labelSelectorFromStructured(ls: LabelSelector | undefined | null): Selector {
  if (ls === undefined || ls === null) return Selector.nothingSelector();
  const reqs: LabelRequirement[] = [];
  for (const [k, v] of Object.entries(ls.matchLabels ?? {})) reqs.push(newRequirement(k, '=', [v]));
  for (const e of ls.matchExpressions ?? []) {
    const op = ({ In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' } as const)[
      e.operator as 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'
    ];
    if (!op)
      throw new LabelSelectorParseError(
        `${JSON.stringify(e.operator)} is not a valid label selector operator`,
      );
    reqs.push(newRequirement(e.key, op, [...(e.values ?? [])]));
  }
  return new Selector(reqs);
}

/** A selector requiring exactly these labels (SelectorFromSet); empty/undefined matches everything. */
export function selectorFromSet(set: Record<string, string> | undefined): Selector {
  return new Selector(
    Object.entries(set ?? {}).map(([k, v]) => ({ key: k, operator: '=' as const, values: [v] })),
  );
}

/** Formats a structured selector as a string (metav1.FormatLabelSelector); "<none>" for empty, "<error>" if invalid. */
export function formatLabelSelector(ls: LabelSelector | undefined | null): string {
  try {
    const s = labelSelectorFromStructured(ls).toString();
    return s === '' ? '<none>' : s;
  } catch {
    return '<error>';
  }
}

/** True when every label in `selector` has the same value in `labels` (a map selector, e.g. Service.spec.selector). */
export function labelsMatch(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  const ls = labels ?? {};
  return Object.entries(selector ?? {}).every(([k, v]) => has(ls, k) && ls[k] === v);
}
