#!/usr/bin/env bash
# Checks that every tracked C++ file is formatted by .clang-format (clang-format 14, the one
# Debian bookworm ships): prints the files that are not and exits 1. With --fix, formats them.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  "" | --fix) ;;
  *) echo "usage: scripts/check-format.sh [--fix]" >&2; exit 2 ;;
esac
command -v clang-format-14 >/dev/null ||
  { echo "clang-format-14 is missing (scripts/install-deps.sh installs it)" >&2; exit 2; }
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h')
if [ "${1:-}" = --fix ]; then
  clang-format-14 -i "${files[@]}"
  exit 0
fi
# One run over every file; each unformatted one is named in its diagnostics.
if ! report=$(clang-format-14 --dry-run --Werror "${files[@]}" 2>&1); then
  echo "not formatted with .clang-format (run scripts/check-format.sh --fix):"
  grep -oE '^[^: ]+\.(cpp|hpp|h):' <<<"$report" | sed 's/:$//' | sort -u | sed 's/^/  /'
  exit 1
fi
echo "format: ${#files[@]} files follow .clang-format"
