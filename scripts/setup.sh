#!/usr/bin/env bash
# What the tests need on a fresh machine, installed or started only when missing:
# cargo-nextest, Debian's Chromium (the browser tests) with fonts for Arabic, axe-core, Go with
# golang.org/x/mod (the independent checker of the log), and PostgreSQL on 127.0.0.1:5432
# (trust, user postgres) for the second pass.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup: $*" >&2; }

if cargo nextest --version >/dev/null 2>&1; then
  say "cargo-nextest found"
else
  say "installing cargo-nextest (cargo install, a few minutes the first time)"
  cargo install cargo-nextest --locked
fi

# Debian packages the tests need, installed together with one `apt-get update`.
packages=()
if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -i 'Noto.*Arabic' >/dev/null; then
  say "Chromium and Arabic fonts found"
else
  packages+=(chromium fonts-noto-core)
fi
command -v npm >/dev/null 2>&1 || packages+=(npm)
# Go's own note and tlog packages check the log's signatures, tiles and proofs; built offline
# in GOPATH mode from Debian's packages, never through a module proxy.
gomod=/usr/share/gocode/src/golang.org/x/mod/sumdb
if command -v go >/dev/null 2>&1 && [ -d "$gomod/tlog" ] && [ -d "$gomod/note" ]; then
  say "Go and golang.org/x/mod found"
else
  packages+=(golang-go golang-golang-x-mod-dev)
fi
python3 -m venv --help >/dev/null 2>&1 || packages+=(python3-venv)
if [ ${#packages[@]} -gt 0 ]; then
  say "installing ${packages[*]} (apt-get)"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${packages[@]}" >/dev/null
fi

# The independent log checker (tests/it/go/verify), built offline against Debian's x/mod.
mkdir -p target
GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOFLAGS= GOCACHE="$PWD/target/go-cache" \
  go build -o target/go-verify tests/it/go/verify/main.go
say "built the Go log checker (target/go-verify)"

# axe-core, which the browser tests inject into every page they check.
if [ -f target/npm/node_modules/axe-core/axe.min.js ]; then
  say "axe-core found"
else
  say "installing axe-core from the npm registry into target/npm"
  npm install --silent --no-audit --no-fund --prefix target/npm axe-core@4 >/dev/null
fi

# The independent checkers the alert tests run against: a real SMTP server (aiosmtpd), the
# Standard Webhooks verifier, and a Web Push decryptor (http_ece, cryptography); and a JSON
# Schema validator (jsonschema) for the CDR discovery answers; in a venv of their own under
# target/.
venv="$(dirname "$0")/../target/alerts-venv"
if "$venv/bin/python" -c 'import aiosmtpd, standardwebhooks, http_ece, cryptography, jsonschema, openapi_spec_validator, feedparser' >/dev/null 2>&1; then
  say "the checkers (aiosmtpd, standardwebhooks, http_ece, jsonschema, openapi-spec-validator, feedparser) found"
else
  say "installing the alert checkers into target/alerts-venv (pip)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q aiosmtpd standardwebhooks http_ece cryptography jsonschema openapi-spec-validator feedparser
fi

# Started when it is not running; the caller fails, rather than skips, when it still
# cannot be reached.
if [ -n "${BANKSTATUS_SKIP_PG_SETUP:-}" ]; then
  say "PostgreSQL: using BANKSTATUS_TEST_POSTGRES as given"
  exit 0
fi
if pg_isready -q -h 127.0.0.1 -p 5432; then
  say "PostgreSQL answers on 127.0.0.1:5432"
else
  say "starting PostgreSQL on 127.0.0.1:5432"
  if [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
  fi
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 1
  done
fi
if ! pg_isready -h 127.0.0.1 -p 5432; then
  echo "PostgreSQL is not reachable on 127.0.0.1:5432 (set BANKSTATUS_TEST_POSTGRES to another server)" >&2
  exit 1
fi
