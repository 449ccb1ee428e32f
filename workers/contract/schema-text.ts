/** A JSON Schema (as in the OpenAPI document) as one line of TypeScript-like text, for the /docs page. */

type Schema = Record<string, unknown>;

const MAX_DEPTH = 4;

function refName(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

function objectText(schema: Schema, depth: number): string {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema.required ?? []) as string[]);
  const fields = Object.entries(properties).map(([name, value]) => `${name}${required.has(name) ? '' : '?'}: ${schemaText(value, depth + 1)}`);
  if (schema.additionalProperties !== undefined && schema.additionalProperties !== false) fields.push('...');
  return fields.length === 0 ? 'object' : `{ ${fields.join('; ')} }`;
}

function typeText(type: string, schema: Schema, depth: number): string {
  if (type === 'array') return `${schemaText((schema.items ?? {}) as Schema, depth + 1)}[]`;
  if (type === 'object') return objectText(schema, depth);
  if (type === 'string' && schema.format === 'binary') return 'binary';
  return type;
}

/**
 * `{ label: string | null; predictions: Prediction[] }`: `$ref`s by their component name, enums as their values,
 * nested objects cut at depth 4.
 */
export function schemaText(schema: Schema | undefined, depth = 0): string {
  if (!schema) return 'any';
  if (typeof schema.$ref === 'string') return refName(schema.$ref);
  if (depth > MAX_DEPTH) return '…';
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(schema[key])) return (schema[key] as Schema[]).map((s) => schemaText(s, depth + 1)).join(key === 'allOf' ? ' & ' : ' | ');
  }
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : typeof schema.type === 'string' ? [schema.type] : [];
  if (types.length === 0) return schema.properties ? objectText(schema, depth) : 'any';
  return types.map((type) => typeText(type, schema, depth)).join(' | ');
}
