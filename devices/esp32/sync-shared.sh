#!/bin/sh
# Copies Weir's shared device headers (the cross-link logic and the payloads) into the sketch:
# the Arduino build only compiles files inside the sketch folder. Run it after every change to
# src/devices/crosslink.hpp or payloads.hpp.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src="$here/../../src/devices"
dst="$here/weir_esp32/src/weir"
mkdir -p "$dst"
cp "$src/crosslink.hpp" "$src/payloads.hpp" "$dst/"
echo "copied crosslink.hpp and payloads.hpp into $dst"
