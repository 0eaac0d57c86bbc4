// Starts GraphiQL on the Reelpay playground page. A served file rather than an inline script:
// the page's Content-Security-Policy runs scripts from this origin only.
// Adapted from strawberry-graphql's GraphiQL template (MIT); its js-cookie CSRF header is
// dropped: Reelpay refuses non-JSON POST bodies, so it needs no CSRF token.
"use strict";

(function () {
  const EXAMPLE_QUERY = `# Welcome to the Reelpay GraphQL playground.
#
# Ctrl-Enter runs the operation; Ctrl-Space completes.
# The docs pane (the book, top left) describes every type.
#
# To act as someone, get a token from the \`logIn\`
# mutation and put it in the Headers tab below:
#
#     { "Authorization": "Bearer <token>" }
#
# Subscriptions run over a WebSocket to this same server.

{
  __typename
}
`;

  // URL parameters let a query be shared as a link.
  const parameters = {};
  for (const entry of window.location.search.slice(1).split("&")) {
    const eq = entry.indexOf("=");
    if (eq >= 0) {
      parameters[decodeURIComponent(entry.slice(0, eq))] = decodeURIComponent(
        entry.slice(eq + 1),
      );
    }
  }

  function updateURL(data) {
    Object.assign(parameters, data);
    const newSearch =
      "?" +
      Object.keys(parameters)
        .filter((key) => Boolean(parameters[key]))
        .map((key) => encodeURIComponent(key) + "=" + encodeURIComponent(parameters[key]))
        .join("&");
    history.replaceState(null, null, newSearch);
  }

  const fetchURL = window.location.href.split("?")[0].split("#")[0];

  function webSocketURL(url) {
    const parsed = new URL(url);
    parsed.protocol = parsed.protocol === "https:" ? "wss:" : "ws:";
    parsed.hash = "";
    return parsed.toString();
  }

  const fetcher = GraphiQL.createFetcher({
    url: fetchURL,
    subscriptionUrl: webSocketURL(fetchURL),
  });

  function Playground() {
    const [query, setQuery] = React.useState(parameters.q || EXAMPLE_QUERY);
    const [variables, setVariables] = React.useState(parameters.variables);
    const [headers, setHeaders] = React.useState(parameters.headers);
    const explorer = React.useMemo(() => GraphiQLPluginExplorer.explorerPlugin(), []);

    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      plugins: [explorer],
      query: query,
      variables: variables,
      headers: headers,
      onEditQuery: (value) => {
        setQuery(value);
        updateURL({ q: value });
      },
      onEditVariables: (value) => {
        setVariables(value);
        updateURL({ variables: value });
      },
      onEditHeaders: setHeaders,
      inputValueDeprecation: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
    });
  }

  const root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(React.createElement(Playground));
})();
