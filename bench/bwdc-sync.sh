#!/usr/bin/env bash
# The script of Bitwarden's "Schedule a sync" help page, as it describes it: read the client secret
# from a file, log out (ignoring errors), log in with the API key, run `bwdc sync` and append to
# bwdc.log. The baseline bench/sync-run.mjs compares `bwdc-runner run` against.
#   BWDC=<bwdc executable> APPDATA=<folder with data.json> SECRET_FILE=<file> CLIENT_ID=organization.<uuid>
export BITWARDENCLI_CONNECTOR_APPDATA_DIR="$APPDATA"
export BITWARDENCLI_CONNECTOR_PLAINTEXT_SECRETS=true
export BW_CLIENTID="$CLIENT_ID"
BW_CLIENTSECRET="$(cat "$SECRET_FILE")"
export BW_CLIENTSECRET
"$BWDC" logout >/dev/null 2>&1
"$BWDC" login "$BW_CLIENTID" "$BW_CLIENTSECRET" >/dev/null 2>&1
"$BWDC" sync >> "$APPDATA/bwdc.log" 2>&1
