// Subscribes to one cardgraph operation with the official `graphql-ws` client (over the `ws`
// package, as a Node application would) and reports what arrived.
//
// Usage: node subscribe.mjs <ws-url> '<{"query": ..., "variables": ...}>'
//        with the API key in CARDGRAPH_API_KEY (sent as connectionParams.Authorization).
//
// stdout gets one JSON line per event, so the test driving this script knows when the
// subscription is live:
//   {"event": "connected"}                  the server acknowledged connection_init
//   {"event": "next", "payload": {...}}     one result of the operation
// and, last, {"event": "summary", ...}: every result, whether the operation completed, the
// error or close code that ended it, and how many frames were text and how many binary.
// The exit status is 0 when the operation completed without error.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, operationJson] = process.argv.slice(2);
if (!url || !operationJson) {
  console.error('usage: CARDGRAPH_API_KEY=<key> node subscribe.mjs <ws-url> <operation-json>');
  process.exit(2);
}
const operation = JSON.parse(operationJson);
const apiKey = process.env.CARDGRAPH_API_KEY ?? '';

const frames = { text: 0, binary: 0 };

/** `ws`'s WebSocket, counting the kind of every frame it receives (graphql-ws sees only the
 * decoded message, so a binary frame would otherwise go unnoticed or fail obscurely). */
class FrameCountingWebSocket extends WebSocket {
  constructor(...args) {
    super(...args);
    this.on('message', (_data, isBinary) => {
      frames[isBinary ? 'binary' : 'text'] += 1;
    });
  }
}

function emit(line) {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const results = [];
let closeEvent = null;

const client = createClient({
  url,
  webSocketImpl: FrameCountingWebSocket,
  connectionParams: { Authorization: `Bearer ${apiKey}` },
  retryAttempts: 0, // a refusal must end the run, not be retried
  on: {
    connected: () => emit({ event: 'connected' }),
    closed: (event) => {
      closeEvent = { code: event?.code ?? null, reason: event?.reason?.toString() ?? '' };
    },
  },
});

const outcome = await new Promise((resolve) => {
  client.subscribe(operation, {
    next: (payload) => {
      results.push(payload);
      emit({ event: 'next', payload });
    },
    error: (error) => resolve({ completed: false, error: describe(error) }),
    complete: () => resolve({ completed: true, error: null }),
  });
});

await client.dispose();
emit({ event: 'summary', ...outcome, results, frames, close: closeEvent });
process.exit(outcome.completed ? 0 : 1);

/** A JSON-friendly description of what graphql-ws reports as an error: a list of GraphQL
 * errors, a CloseEvent, or an Error. */
function describe(error) {
  if (Array.isArray(error)) return { graphqlErrors: error };
  if (error && typeof error.code === 'number') {
    return { closeCode: error.code, closeReason: error.reason?.toString() ?? '' };
  }
  return { message: String(error?.message ?? error) };
}
