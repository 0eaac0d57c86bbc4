import type { Client } from "@urql/core";

import { byId, el } from "./dom";
import { type CreatorPageQuery, LiveEventsDocument } from "./gql/graphql";

type Live = NonNullable<CreatorPageQuery["account"]>["currentLive"];

/** The creator's LIVE, as the cache knows it (gift totals update from each gift event). */
export function showLive(live: Live): void {
  const section = byId("live");
  section.hidden = false;
  if (!live) {
    byId("live-title").textContent = "Not LIVE right now.";
    return;
  }
  byId("live-title").textContent = `${live.title} (${live.status}, ${live.viewerCount} watching)`;
  byId("live-gifts").textContent = `${live.giftTotals.gifts} gifts, ${live.giftTotals.coins} coins`;
}

/** Subscribe to a LIVE's events and add each gift to the feed; returns how to stop. */
export function watchLive(client: Client, liveId: string): () => void {
  const feed = byId("gift-feed");
  feed.replaceChildren();
  const { unsubscribe } = client
    .subscription(LiveEventsDocument, { liveId })
    .subscribe((result) => {
      const event = result.data?.liveEvents;
      if (result.error) feed.append(el("li", `Feed stopped: ${result.error.message}`));
      if (!event) return;
      switch (event.__typename) {
        case "LiveGiftEvent": {
          const { gift } = event;
          const line = `@${gift.sender.handle} sent ${gift.quantity} × ${gift.gift.name}`;
          feed.prepend(el("li", line, { class: "gift", "data-sender": gift.sender.handle }));
          break;
        }
        case "LiveViewerJoinedEvent":
          feed.prepend(el("li", `@${event.viewer.handle} joined`, { class: "joined" }));
          break;
        case "LiveEndedEvent":
          feed.prepend(el("li", "The LIVE ended."));
          break;
      }
    });
  return unsubscribe;
}
