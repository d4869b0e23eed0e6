#!/usr/bin/env bash
# Checks docs/openapi.yaml: a valid OpenAPI 3.1 document (swagger-parser, from the npm registry,
# installed once into the build directory; nothing is kept in the repository), with no link out
# of the repository. That it names every route the daemon serves, and only those, is checked by
# unit_tests (tests/unit/daemon/api/openapi_test.cpp).
#   tests/ops/openapi_test.sh SOURCE_DIR TOOLS_DIR
set -euo pipefail

src=${1:?usage: openapi_test.sh SOURCE_DIR TOOLS_DIR}
tools=${2:?usage: openapi_test.sh SOURCE_DIR TOOLS_DIR}
spec=$src/docs/openapi.yaml
parser_version=10.1.1

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
command -v npm >/dev/null || fail "npm is not installed"
[ -f "$spec" ] || fail "no $spec"

if [ ! -f "$tools/node_modules/@apidevtools/swagger-parser/package.json" ] ||
  ! grep -q "\"version\": \"$parser_version\"" \
    "$tools/node_modules/@apidevtools/swagger-parser/package.json"; then
  mkdir -p "$tools"
  npm install --prefix "$tools" --cache "$tools/npm-cache" --no-audit --no-fund --loglevel=error \
    "@apidevtools/swagger-parser@$parser_version" >"$tools/npm.log" 2>&1 ||
    { cat "$tools/npm.log" >&2; fail "npm install failed"; }
fi

NODE_PATH="$tools/node_modules" node -e '
  const parser = require("@apidevtools/swagger-parser");
  parser.validate(process.argv[1]).then(
    (api) => {
      if (!String(api.openapi).startsWith("3.1.")) throw new Error("openapi is " + api.openapi);
      let operations = 0;
      for (const item of Object.values(api.paths))
        for (const m of ["get", "put", "post", "patch", "delete"]) if (item[m]) operations++;
      console.log("valid OpenAPI " + api.openapi + ": " + Object.keys(api.paths).length +
                  " paths, " + operations + " operations");
    }).catch((e) => { console.error("FAIL: " + e.message); process.exit(1); });
' "$spec"

# docs/ never links out of the repository: the only addresses are the examples' own.
if grep -nE "https?://" "$spec" | grep -vE "https?://([a-z0-9.-]+\.)?example\.(com|org|net)|https?://(127\.0\.0\.1|localhost)"; then
  fail "docs/openapi.yaml links outside the repository (lines above)"
fi
echo "openapi: ok"
