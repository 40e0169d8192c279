// Runs the GraphQL-over-HTTP audit suite of `graphql-http` (the spec's reference
// implementation) against a running cardgraph API and prints one JSON summary on stdout.
//
// Usage: node http_audit.mjs <graphql-url>   with the API key in CARDGRAPH_API_KEY.
// Every audit request carries `Authorization: Bearer <key>`: the audits test the transport,
// and cardgraph refuses anonymous callers before any of it.
import { serverAudits } from 'graphql-http';

const [url] = process.argv.slice(2);
const apiKey = process.env.CARDGRAPH_API_KEY;
if (!url || !apiKey) {
  console.error('usage: CARDGRAPH_API_KEY=<key> node http_audit.mjs <graphql-url>');
  process.exit(2);
}

/** The global fetch, with the API key added to every request the audits send. */
function fetchWithKey(input, init = {}) {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${apiKey}`);
  return fetch(input, { ...init, headers });
}

/** What a failed audit's response looked like (its body may have been read by the audit). */
async function describeResponse(response) {
  if (!response) return null;
  let body = null;
  try {
    body = (await response.text()).slice(0, 500);
  } catch {
    body = '(already read by the audit)';
  }
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body,
  };
}

const results = [];
for (const audit of serverAudits({ url, fetchFn: fetchWithKey })) {
  const result = await audit.fn();
  const entry = { id: result.id, name: result.name, status: result.status };
  if (result.status !== 'ok') {
    entry.reason = String(result.reason);
    entry.response = await describeResponse(result.response);
  }
  results.push(entry);
}

const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const result of results) counts[result.status] += 1;
console.log(JSON.stringify({ counts, results }));
