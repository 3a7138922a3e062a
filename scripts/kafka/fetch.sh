#!/usr/bin/env bash
# Fetches the runtime jars of a Kafka broker (kafka_2.13 + an slf4j binding) from Maven Central
# into a cache, for the tests' single-node broker (test/setup/kafka-broker.ts).
#
#   scripts/kafka/fetch.sh [VERSION]     VERSION defaults to $KAFKA_VERSION, then 4.4.0
#
# Prints the lib directory on stdout (everything else goes to stderr). Idempotent: a lib/ marked
# with lib/.complete is reused as is. The cache is $KAFKA_CACHE_DIR, else <repo>/.cache/kafka;
# Maven's local repository lives in it too, so nothing is written to ~/.m2. Installs nothing.
set -euo pipefail

version="${1:-${KAFKA_VERSION:-4.4.0}}"
if ! [[ "$version" =~ ^([34])\.[0-9]+\.[0-9]+$ ]]; then
  echo "fetch.sh: unsupported Kafka version '$version' (permitted: 3.x.y or 4.x.y, e.g. 4.4.0 or 3.9.2)" >&2
  exit 2
fi
major="${BASH_REMATCH[1]}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${KAFKA_CACHE_DIR:-$repo/.cache/kafka}"
dir="$cache/$version"
lib="$dir/lib"

if [ -f "$lib/.complete" ]; then
  echo "$lib"
  exit 0
fi

missing=()
for tool in java mvn; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "fetch.sh: not found on PATH: ${missing[*]}; the Kafka test broker needs a JDK (17+) and Maven" \
    "(Debian: apt-get install -y default-jdk-headless maven)" >&2
  exit 127
fi

mkdir -p "$dir"
# Two test runs fetching at once must not interleave their copies.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$dir/.lock"
  flock 9
  if [ -f "$lib/.complete" ]; then
    echo "$lib"
    exit 0
  fi
fi

stage="$(mktemp -d "$dir/lib.partial.XXXXXX")"
trap 'rm -rf "$stage"' EXIT

echo "fetch.sh: fetching Kafka $version jars into $lib" >&2
# The plugin is pinned: Maven 3.8 would otherwise resolve maven-dependency-plugin 2.8.
mvn -B -q -Dstyle.color=never -f "$here/pom-$major.x.xml" \
  -Dkafka.version="$version" \
  -Dmaven.repo.local="$cache/m2" \
  org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
  -DoutputDirectory="$stage" -DincludeScope=runtime >&2

if ! [ -f "$stage/kafka_2.13-$version.jar" ]; then
  echo "fetch.sh: Maven finished but kafka_2.13-$version.jar is not in $stage" >&2
  exit 1
fi

rm -rf "$lib"
mv "$stage" "$lib"
trap - EXIT
touch "$lib/.complete"
echo "$lib"
