#!/usr/bin/env bash
# DynamoDB Local (npm start, npm test) runs on Java 17+. Install it from Debian's packages when it is missing.
set -euo pipefail
if java -version >/dev/null 2>&1; then
  exit 0
fi
echo "Java not found: installing openjdk-17-jre-headless (needed by DynamoDB Local)" >&2
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null
java -version
