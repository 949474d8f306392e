#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
# Install it when missing and we are allowed to; otherwise say so, and the browser tests skip
# (except under CI=true, where a missing browser fails them).
set -u
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit $?
fi
echo "chromium is not installed and cannot be installed here (not root?): browser tests will be skipped."
echo "Install it with: sudo apt-get install chromium"
