/** Codegen: the catalog as a Python API (`unified_api.py` + `.pyi`), as docs, and as one-line signatures. */
export { generateApi, type GeneratedApi, type GenerateOptions } from "./generate.ts";
export { renderDocs } from "./docs.ts";
export { pythonSignature } from "./function.ts";
export { functionBaseName, functionNames, sanitizeIdentifier } from "./names.ts";
export { type ApiEntry, type ApiModel, apiModel, entrySignature, renderEntry, searchEntries } from "./model.ts";
