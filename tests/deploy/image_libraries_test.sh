#!/usr/bin/env bash
# Without a container engine, proves the runtime stage of k8s/Dockerfile would run the
# binaries: every shared library `ldd` reports for them belongs to a Debian package that
# the stage's `apt-get install` installs, directly or as a dependency.
#   image_libraries_test.sh <Dockerfile> <binary>...
set -euo pipefail

dockerfile=$1
shift

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# The words after --no-install-recommends in the runtime stage's RUN, up to the next '&&'.
runtime_packages() {
  awk '
    /^FROM debian:12-slim AS runtime/ { in_runtime = 1; next }
    /^FROM / { in_runtime = 0 }
    in_runtime { sub(/\\$/, ""); printf "%s ", $0 }
  ' "$dockerfile" |
    grep -o -- '--no-install-recommends[^&]*' | head -n 1 |
    sed 's/--no-install-recommends//' | tr -s ' ' '\n' | sed '/^$/d'
}

# Those packages and everything they depend on (pre-depends too), recursively.
installed_closure() {
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances "$@" | grep -v '^ ' | sort -u
}

# ldd paths are /lib/... while dpkg may know /usr/lib/... (merged /usr), or the reverse.
candidates_of() {
  local real
  real=$(realpath "$1")
  printf '%s\n' "$1" "${1#/usr}" "/usr$1" "$real" "${real#/usr}" "/usr$real"
}

mapfile -t packages < <(runtime_packages)
((${#packages[@]} > 0)) || fail "no 'apt-get install ... --no-install-recommends' in the runtime stage of $dockerfile"
mapfile -t closure < <(installed_closure "${packages[@]}")
declare -A in_image=()
for pkg in "${closure[@]}"; do in_image[$pkg]=1; done

# Each binary's libraries ("libx.so.1 => /path (0x...)") and loader ("/lib64/ld-... (0x...)").
declare -A needed_by=()
for binary in "$@"; do
  [[ -x $binary ]] || fail "$binary is not a built executable"
  ldd_out=$(ldd "$binary")
  if grep -q 'not found' <<<"$ldd_out"; then
    fail "$binary: ldd cannot resolve $(grep 'not found' <<<"$ldd_out" | awk '{print $1}' | tr '\n' ' ')"
  fi
  while read -r library; do
    needed_by[$library]="${needed_by[$library]:-}${needed_by[$library]:+, }$(basename "$binary")"
  done < <(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$ldd_out")
done
((${#needed_by[@]} > 0)) || fail "ldd reported no libraries for $*"

# One dpkg -S for every candidate path (it is slow per call); owner of each path found.
declare -A owner=()
mapfile -t all_candidates < <(for library in "${!needed_by[@]}"; do candidates_of "$library"; done | sort -u)
while IFS= read -r line; do
  [[ $line == *": /"* ]] || continue
  path=${line#*: }
  [[ -n ${owner[$path]:-} ]] || owner[$path]=${line%%:*}
done < <(dpkg -S "${all_candidates[@]}" 2>/dev/null || true)

missing=0
for library in $(printf '%s\n' "${!needed_by[@]}" | sort); do
  package=""
  while read -r candidate; do
    if [[ -n ${owner[$candidate]:-} ]]; then package=${owner[$candidate]%%:*}; break; fi
  done < <(candidates_of "$library")
  if [[ -z $package ]]; then
    echo "FAIL: $library (needed by ${needed_by[$library]}) belongs to no Debian package" >&2
    missing=$((missing + 1))
  elif [[ -z ${in_image[$package]:-} ]]; then
    echo "FAIL: $library (needed by ${needed_by[$library]}) comes from package $package, which the runtime stage of $dockerfile does not install: add it to its apt-get install" >&2
    missing=$((missing + 1))
  fi
done
((missing == 0)) || fail "$missing of ${#needed_by[@]} libraries would be missing at run time"
echo "ok: all ${#needed_by[@]} libraries of $# binaries are installed by the runtime stage (${#packages[@]} packages listed, ${#closure[@]} with dependencies)"
