import type { Client } from "@urql/core";

import { apiLink } from "./config";
import { byId, el, idempotencyKey, problems, say } from "./dom";
import {
  type CreatorPageQuery,
  CreatorPageDocument,
  EpisodePlaybackDocument,
  PurchaseSeriesDocument,
} from "./gql/graphql";
import { showLive, watchLive } from "./live";

type Account = NonNullable<CreatorPageQuery["account"]>;
type Series = NonNullable<Account["series"]>["edges"][number]["node"];

let stopWatching: (() => void) | null = null;

/** Forget the creator page (on signing in or out): stop its queries and its LIVE feed. */
export function closeCreator(): void {
  stopWatching?.();
  stopWatching = null;
  byId("series-list").replaceChildren();
  byId("gift-feed").replaceChildren();
  byId("player").hidden = true;
  byId("live").hidden = true;
  say("series-status", "");
}

/** Show a creator's Series and LIVE; re-rendered whenever the cache changes what it shows. */
export function showCreator(client: Client, handle: string): void {
  stopWatching?.();
  const page = client.query(CreatorPageDocument, { handle }).subscribe((result) => {
    const account = result.data?.account;
    if (!account) {
      say("series-status", result.error?.message ?? `No account @${handle}`, true);
      return;
    }
    const edges = account.series?.edges ?? [];
    byId("series-list").replaceChildren(...edges.map(({ node }) => seriesCard(client, node)));
    say("series-status", edges.length ? "" : `@${account.handle} sells no Series.`);
    showLive(account.currentLive);
    if (account.currentLive && account.currentLive.id !== liveId) {
      stopLive();
      liveId = account.currentLive.id;
      stopLive = watchLive(client, liveId);
    }
  });
  let liveId: string | null = null;
  let stopLive = () => {};
  stopWatching = () => {
    page.unsubscribe();
    stopLive();
  };
}

function seriesCard(client: Client, series: Series): HTMLElement {
  const card = el("article", "", { class: "series", "data-series": series.id });
  card.append(
    el("h3", series.title),
    el("p", series.description),
    el("p", `${series.episodeCount} episodes, ${series.price.amount} ${series.price.currency}`),
  );
  if (series.viewerAccess.allowed) {
    card.append(el("p", `Access: ${series.viewerAccess.reason}`, { class: "access" }));
  } else {
    for (const paidWith of ["COINS", "CARD"] as const) {
      const buy = el("button", `Buy with ${paidWith.toLowerCase()}`, { type: "button" });
      buy.addEventListener("click", () => void buySeries(client, series.id, paidWith));
      card.append(buy);
    }
  }
  const episodes = el("ol");
  for (const episode of series.episodes) {
    const item = el("li", `${episode.title} (${Math.round(episode.durationSeconds / 60)} min) `);
    const play = el("button", "Play", { type: "button", "data-episode": episode.id });
    play.addEventListener("click", () => void playEpisode(client, episode.id));
    item.append(play);
    episodes.append(item);
  }
  card.append(episodes);
  return card;
}

async function buySeries(client: Client, seriesId: string, paidWith: "COINS" | "CARD") {
  say("series-status", "Buying…");
  const result = await client
    .mutation(PurchaseSeriesDocument, {
      input: {
        seriesId,
        paidWith,
        paymentToken: paidWith === "CARD" ? "tok_sandbox_success" : null,
        idempotencyKey: idempotencyKey(),
      },
    })
    .toPromise();
  const payload = result.data?.purchaseSeries;
  const problem = result.error?.message ?? (payload ? problems(payload.userErrors) : "No answer");
  if (problem || !payload?.purchase) {
    say("series-status", problem ?? "No purchase returned", true);
    return;
  }
  // The payload's Series (by id) carries the new viewerAccess: the card re-renders from the
  // cache, and the header's coins follow the returned wallet.
  const spent = payload.purchase.coins === null ? "by card" : `for ${payload.purchase.coins} coins`;
  say("series-status", `Purchased ${spent}.`);
}

async function playEpisode(client: Client, episodeId: string): Promise<void> {
  // A signed link expires: ask the API for a fresh one each time.
  const result = await client
    .query(EpisodePlaybackDocument, { id: episodeId }, { requestPolicy: "network-only" })
    .toPromise();
  const node = result.data?.node;
  if (!node || !("playback" in node)) {
    say("series-status", result.error?.message ?? "No such episode", true);
    return;
  }
  if (!node.playback.allowed || !node.playback.url) {
    say("series-status", `Cannot play "${node.title}": ${node.playback.reason}`, true);
    return;
  }
  // The link is signed for this login session: it plays only with the same bearer token as
  // the query that asked for it, so send the headers that query was sent with. (The media
  // store is a stand-in: fetching the link proves it works for this viewer.)
  const options = result.operation.context.fetchOptions;
  const { headers } = (typeof options === "function" ? options() : options) ?? {};
  const media = await fetch(apiLink(node.playback.url), { headers });
  if (!media.ok) {
    say("series-status", `The link was refused (${media.status})`, true);
    return;
  }
  byId("player").hidden = false;
  byId("now-playing").textContent = `Now playing: ${node.title}`;
  byId("player-content").textContent = await media.text();
  say("series-status", "");
}
