#!/usr/bin/env bash
# Checks that every tracked C++ file is formatted by .clang-format (clang-format 14, the one
# Debian bookworm ships): prints the files that are not and exits 1. With --fix, formats them.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-check}"
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h')
if [ "$mode" = --fix ]; then
  clang-format-14 -i "${files[@]}"
  exit 0
fi
unformatted=()
for f in "${files[@]}"; do
  clang-format-14 --dry-run --Werror "$f" >/dev/null 2>&1 || unformatted+=("$f")
done
if [ ${#unformatted[@]} -gt 0 ]; then
  echo "not formatted with .clang-format (run scripts/check-format.sh --fix):"
  printf '  %s\n' "${unformatted[@]}"
  exit 1
fi
echo "format: ${#files[@]} files follow .clang-format"
