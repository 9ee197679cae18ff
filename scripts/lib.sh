# Sourced by the other scripts: pinned tool versions and PATH to the project-local tools.
# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DENO_VERSION=2.9.6
BUN_VERSION=1.4.5
export PATH="$ROOT/.tools/node_modules/.bin:$ROOT/node_modules/.bin:$PATH"
export DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1
