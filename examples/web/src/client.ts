import { Client, fetchExchange, subscriptionExchange } from "@urql/core";
import { cacheExchange, type KeyingConfig } from "@urql/exchange-graphcache";
import { createClient as createWsClient } from "graphql-ws";

import { API_URL, WS_URL } from "./config";

// Objects with an `id` are normalised by it (graphcache's default), so an object a mutation
// payload returns (a Series after its purchase, the wallet after buying coins) updates every
// query that shows it. These types have no identity of their own and are stored inside their
// parent instead.
const EMBEDDED = [
  "CoinPurchase",
  "EarningsDay",
  "EpisodePlayback",
  "GiftSent",
  "LiveEndedEvent",
  "LiveGiftEvent",
  "LiveGiftTotals",
  "LiveViewerJoinedEvent",
  "LogInPayload",
  "LogOutPayload",
  "Money",
  "PurchaseCoinsPayload",
  "PurchaseSeriesPayload",
  "SeriesAccess",
  "SeriesConnection",
  "SeriesEdge",
  "SourceAmount",
  "UserError",
] as const;

const keys: KeyingConfig = Object.fromEntries(EMBEDDED.map((name) => [name, () => null]));

export type SocketState = "connecting" | "connected" | "closed";

/** A client for one session: a new token gets a fresh cache and a fresh WebSocket. */
export function createApiClient(
  token: string | null,
  onSocket: (state: SocketState) => void = () => {},
): Client {
  const ws = createWsClient({
    url: WS_URL,
    lazy: true,
    connectionParams: () => (token ? { authorization: `Bearer ${token}` } : {}),
    on: {
      connecting: () => onSocket("connecting"),
      connected: () => onSocket("connected"),
      closed: () => onSocket("closed"),
    },
  });
  return new Client({
    url: API_URL,
    fetchOptions: (): RequestInit => {
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      return { headers };
    },
    exchanges: [
      cacheExchange({ keys }),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? "" };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
}
