/** A JSON Schema object, as servers publish it. */
export type JsonSchema = Record<string, unknown>;
