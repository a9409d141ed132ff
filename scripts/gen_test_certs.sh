#!/bin/sh
# Regenerates the test-only CA and leaf certificates in testdata/certs/.
# These keys are public and for .test names only: never use them for real.
# Layout follows chasquid: testdata/certs/<name>/{fullchain.pem,privkey.pem}.
set -eu
cd "$(dirname "$0")/../testdata/certs"
DAYS=7300

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

openssl ecparam -name prime256v1 -genkey -noout -out ca.key.pem
openssl req -x509 -new -key ca.key.pem -sha256 -days "$DAYS" \
  -subj "/CN=chaski test CA" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out ca.pem

leaf() {
  name=$1
  san=$2
  mkdir -p "$name"
  openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/key.pem"
  openssl pkcs8 -topk8 -nocrypt -in "$tmp/key.pem" -out "$name/privkey.pem"
  openssl req -new -key "$name/privkey.pem" -subj "/CN=$name" -out "$tmp/csr.pem"
  printf '%s\n' \
    "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth,clientAuth" \
    "subjectAltName=$san" >"$tmp/ext.cnf"
  openssl x509 -req -in "$tmp/csr.pem" -CA ca.pem -CAkey ca.key.pem \
    -CAcreateserial -days "$DAYS" -sha256 -extfile "$tmp/ext.cnf" \
    -out "$tmp/cert.pem"
  cp "$tmp/cert.pem" "$name/fullchain.pem"
}

leaf mx.a.test "DNS:mx.a.test,DNS:a.test"
leaf mail.b.test "DNS:mail.b.test,DNS:b.test"
leaf mta-sts.b.test "DNS:mta-sts.b.test"
rm -f ca.srl
