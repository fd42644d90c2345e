/** Errors thrown by @keelson/api parsers. Each carries the upstream-compatible message. */

/** A Quantity string did not parse (apimachinery resource.ParseQuantity errors). */
export class QuantityParseError extends Error {
  override name = 'QuantityParseError';
}

/** A label selector string did not parse (apimachinery labels.Parse errors). */
export class LabelSelectorParseError extends Error {
  override name = 'LabelSelectorParseError';
}

/** A field selector did not parse or names an unsupported field (apimachinery fields.ParseSelector). */
export class FieldSelectorParseError extends Error {
  override name = 'FieldSelectorParseError';
}

/** An IntOrString was neither an integer nor a percentage (intstr.GetScaledValueFromIntOrPercent). */
export class IntOrStringError extends Error {
  override name = 'IntOrStringError';
}

/** A request body is not a JSON object with apiVersion and kind (decodeObject). */
export class DecodeError extends Error {
  override name = 'DecodeError';
}
