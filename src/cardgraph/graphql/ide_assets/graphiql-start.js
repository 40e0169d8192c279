// Starts GraphiQL on cardgraph's IDE page (cardgraph's own file; the others are vendored).
// Queries go to the page's own URL; subscriptions to the same URL over WebSocket
// (graphql-transport-ws), authenticated with the headers typed in the Headers pane, which
// become the connection_init payload.
(function () {
  "use strict";

  var endpoint = window.location.href.split("#")[0].split("?")[0];
  var socketEndpoint = endpoint.replace(/^http/, "ws");

  var defaultQuery = [
    "# Welcome to cardgraph. Put an API key after `Bearer ` in the",
    "# Headers pane below (`cardgraph dev` keeps one in .cardgraph/admin.key),",
    "# then run this query with Ctrl-Enter or the pink button.",
    "{",
    "  viewer {",
    "    name",
    "    role",
    "  }",
    "}",
    "",
  ].join("\n");

  var defaultHeaders = '{\n  "Authorization": "Bearer "\n}';

  // One fetcher per operation, so a subscription's socket carries the headers of its time.
  function fetcher(params, options) {
    var headers = (options && options.headers) || {};
    var perOperation = GraphiQL.createFetcher({
      url: endpoint,
      subscriptionUrl: socketEndpoint,
      headers: headers,
      wsConnectionParams: headers,
    });
    return perOperation(params, options);
  }

  var explorer = GraphiQLPluginExplorer.explorerPlugin();
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: defaultQuery,
      defaultHeaders: defaultHeaders,
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      inputValueDeprecation: true,
      plugins: [explorer],
    })
  );
})();
