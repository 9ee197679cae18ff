/** The IPC shim generated policy code calls: run scopes, the Hono app, and its socket directory. */
export { createIpcApp, createIpcShim, type IpcAppDeps, type IpcShim, type ListedTool } from "./app.ts";
export { type CallToolBody, convertResult, errorTextOf, toolResultBody } from "./result.ts";
export {
  type BeforeCallHook,
  type ConfirmHook,
  RunScope,
  type RunSummary,
  type ScopeOptions,
  ScopeRegistry,
  type ToolStats,
} from "./scope.ts";
export {
  cleanStaleSocketDirs,
  createSocketDir,
  removeSocketDir,
  type SocketDir,
  type SocketDirOptions,
} from "./socket_dir.ts";
export { compileGlob, compileGlobs, type ToolMatcher } from "../rules/glob.ts";
