# Shown in the root README from the line after this comment; run by stack-snippets.test.ts.
TESSERA=${TESSERA:-http://127.0.0.1:8787}
curl -s "$TESSERA/v1/completions" -H 'content-type: application/json' \
  -d '{"model":"tessera/tiny-gpt2","prompt":"Tessera","max_tokens":32}'
curl -s "$TESSERA/v1/responses" -H 'content-type: application/json' \
  -d '{"model":"tessera/tiny-gpt2","input":"Tessera","instructions":"Answer briefly."}'
curl -s "$TESSERA/v1/messages" -H 'content-type: application/json' -H 'anthropic-version: 2023-06-01' \
  -d '{"model":"tessera/tiny-gpt2","max_tokens":64,"messages":[{"role":"user","content":"Tessera"}]}'
curl -s "$TESSERA/api/chat" -d '{"model":"tessera/tiny-gpt2","messages":[{"role":"user","content":"Tessera"}],"stream":false}'
