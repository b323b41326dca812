#!/usr/bin/env bash
# CTest's token_counts_match_js_tiktoken: checks that tests/data/tokens/counts.json (what the
# token estimator's unit test compares with) still says what the real tokenizers say.
# Skips (exit 77) when Node.js or js-tiktoken is missing, unless SOTA_REQUIRE_NODE_TOOLS=1.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v node >/dev/null 2>&1 || [[ ! -d tests/node/node_modules/js-tiktoken ]]; then
    if [[ "${SOTA_REQUIRE_NODE_TOOLS:-}" == 1 ]]; then
        echo "token_counts_match_js_tiktoken: Node.js or js-tiktoken is missing (SOTA_REQUIRE_NODE_TOOLS=1):" \
            "run scripts/node-deps, or npm ci --prefix tests/node" >&2
        exit 1
    fi
    echo "token_counts_match_js_tiktoken: skipped, js-tiktoken is not installed" \
        "(npm ci --prefix tests/node)"
    exit 77
fi
exec node tests/node/count_tokens.mjs --check tests/data/tokens/counts.json
