#!/usr/bin/env bash
# What the tests need on a fresh machine, installed or started only when missing:
# cargo-nextest, Debian's Chromium (the browser tests) with fonts for Arabic, and
# PostgreSQL on 127.0.0.1:5432 (trust, user postgres) for the second pass.
set -euo pipefail

if ! cargo nextest --version >/dev/null 2>&1; then
  cargo install cargo-nextest --locked
fi

if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi 'Noto.*Arabic'; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq chromium fonts-noto-core >/dev/null
fi

# The independent checkers the alert tests run against: a real SMTP server (aiosmtpd), the
# Standard Webhooks verifier, and a Web Push decryptor (http_ece, cryptography), in a venv
# of their own under target/.
venv="$(dirname "$0")/../target/alerts-venv"
if ! "$venv/bin/python" -c 'import aiosmtpd, standardwebhooks, http_ece, cryptography' >/dev/null 2>&1; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q aiosmtpd standardwebhooks http_ece cryptography
fi

# Started when it is not running; the caller fails, rather than skips, when it still
# cannot be reached.
if [ -n "${BANKSTATUS_SKIP_PG_SETUP:-}" ]; then exit 0; fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
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
