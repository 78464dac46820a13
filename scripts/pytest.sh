#!/usr/bin/env bash
# Runs pytest and treats "no tests collected" (exit 5) as a failure with a clear line,
# so a suite that silently stopped collecting cannot pass.
set -uo pipefail
py="$1"; shift
"$py" -m pytest -q -p no:cacheprovider "$@"
rc=$?
if [ $rc -eq 5 ]; then
  echo "pytest collected no tests in: $*" >&2
  exit 1
fi
exit $rc
