#!/bin/bash
# The nodejs24.x runtime's /var/runtime/bootstrap, which the Runtime Interface Emulator starts, with
# its paths moved: Node 24 is the first `node` on PATH (Lambda's /var/lang/bin), and
# LAMBDA_RUNTIME_DIR holds the runtime interface client (Lambda's /var/runtime).
set -euo pipefail

if [ -z "${NODE_PATH:-}" ]; then
  export NODE_PATH="/opt/nodejs/node24/node_modules:/opt/nodejs/node_modules:$LAMBDA_RUNTIME_DIR/node_modules:$LAMBDA_RUNTIME_DIR:$LAMBDA_TASK_ROOT"
fi

# V8's heap from the function's memory size, as the runtime sizes it: a tenth for the young
# generation, the rest for the old.
MEMORY_ARGS=()
if [ -n "${AWS_LAMBDA_FUNCTION_MEMORY_SIZE:-}" ]; then
  new_space=$((AWS_LAMBDA_FUNCTION_MEMORY_SIZE / 10))
  MEMORY_ARGS=("--max-semi-space-size=$((new_space / 2))" "--max-old-space-size=$((AWS_LAMBDA_FUNCTION_MEMORY_SIZE - new_space))")
fi

export AWS_EXECUTION_ENV=AWS_Lambda_nodejs24.x

exec node --expose-gc --max-http-header-size 81920 "${MEMORY_ARGS[@]}" "$LAMBDA_RUNTIME_DIR/index.mjs"
