#!/usr/bin/env bash
# Two checks `make test` runs (ctest: repo.style, repo.standalone):
#   style       every C++ file of the repository is formatted by .clang-format
#   standalone  nothing outside the fixture notes refers to a folder beside the repository
set -euo pipefail
cd "$(dirname "$0")/.."
files() {
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then git ls-files -- "$@"
  else find src devices bench tests -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.ino' \); fi
}
case "${1:-}" in
  style)
    mapfile -t cpp < <(files '*.cpp' '*.hpp' '*.h' '*.ino')
    if ! clang-format --dry-run --Werror "${cpp[@]}" 2>/tmp/weir-style.$$; then
      grep -E '^[^ ].*(warning|error):' /tmp/weir-style.$$ | head -40
      echo "style: $(grep -cE '(warning|error):' /tmp/weir-style.$$ || true) place(s) differ from .clang-format; run 'make fmt'"
      rm -f /tmp/weir-style.$$; exit 1
    fi
    rm -f /tmp/weir-style.$$
    echo "style: ${#cpp[@]} files formatted";;
  standalone)
    # tests/fixtures/README.md says where the fixtures were copied from; nothing else may look there.
    if hits=$(grep -rnI --exclude-dir=node_modules --exclude-dir=build --exclude-dir=.git \
                --exclude=check-repo.sh -e '\.\./shared' . | grep -v '^./tests/fixtures/README.md:'); then
      echo "$hits"; echo "standalone: the lines above read outside the repository"; exit 1
    fi
    echo "standalone: nothing reads outside the repository";;
  *) echo "usage: $0 style|standalone" >&2; exit 2;;
esac
