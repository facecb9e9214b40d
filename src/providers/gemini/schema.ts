// JSON Schema -> the OpenAPI subset Gemini accepts in function parameters and responseSchema.

type Schema = Record<string, unknown>;

/** Keys Gemini's Schema object knows; anything else (additionalProperties, $schema, $defs, strict...) is refused. */
const KEPT = new Set([
  "type",
  "format",
  "title",
  "description",
  "nullable",
  "enum",
  "maxItems",
  "minItems",
  "minProperties",
  "maxProperties",
  "minLength",
  "maxLength",
  "pattern",
  "example",
  "default",
  "minimum",
  "maximum",
  "propertyOrdering",
  "required",
]);

/**
 * Keeps what Gemini understands and rewrites the common JSON Schema spellings it lacks: `type: [T, "null"]`
 * becomes `type: T, nullable: true`, `const` becomes a one-value `enum`, `oneOf` becomes `anyOf`. Dropped keys
 * only loosen validation (e.g. additionalProperties), never change the shape of valid answers.
 */
export function toGeminiSchema(schema: unknown, depth = 0): Schema {
  if (typeof schema !== "object" || schema === null || depth > 32) return {};
  const input = schema as Schema;
  const out: Schema = {};
  for (const key in input) {
    const value = input[key];
    if (KEPT.has(key)) out[key] = value;
  }
  if (Array.isArray(input.type)) {
    const types = input.type.filter((type) => type !== "null");
    if (types.length < input.type.length) out.nullable = true;
    if (types.length === 1) out.type = types[0];
    else if (types.length > 1) {
      delete out.type;
      out.anyOf = types.map((type) => ({ type }));
    }
  }
  if (input.const !== undefined && out.enum === undefined) out.enum = [input.const];
  if (typeof input.properties === "object" && input.properties !== null) {
    const properties: Schema = {};
    for (const [name, value] of Object.entries(input.properties))
      properties[name] = toGeminiSchema(value, depth + 1);
    out.properties = properties;
  }
  if (input.items !== undefined) out.items = toGeminiSchema(input.items, depth + 1);
  const variants = input.anyOf ?? input.oneOf;
  if (Array.isArray(variants)) out.anyOf = variants.map((variant) => toGeminiSchema(variant, depth + 1));
  return out;
}
