import type { Client } from "@urql/core";

import { byId, el, idempotencyKey, problems, say } from "./dom";
import { CoinPackagesDocument, PurchaseCoinsDocument } from "./gql/graphql";

// The sandbox provider's "the charge succeeds" test token (see the API's README).
const SANDBOX_CARD = "tok_sandbox_success";

/** List the coin packages, each with a button that buys it with the sandbox card. */
export async function showShop(client: Client): Promise<void> {
  const result = await client.query(CoinPackagesDocument, {}).toPromise();
  const list = byId("packages");
  list.replaceChildren();
  if (!result.data) {
    say("shop-status", result.error?.message ?? "No packages", true);
    return;
  }
  for (const pkg of result.data.coinPackages) {
    const item = el("li", `${pkg.coins} coins for ${pkg.price.amount} ${pkg.price.currency} `);
    const buy = el("button", "Buy", { "data-coins": String(pkg.coins), type: "button" });
    buy.addEventListener("click", () => void buyCoins(client, pkg.id, pkg.coins));
    item.append(buy);
    list.append(item);
  }
}

async function buyCoins(client: Client, packageId: string, coins: number): Promise<void> {
  say("shop-status", `Buying ${coins} coins…`);
  const result = await client
    .mutation(PurchaseCoinsDocument, {
      input: { packageId, paymentToken: SANDBOX_CARD, idempotencyKey: idempotencyKey() },
    })
    .toPromise();
  const payload = result.data?.purchaseCoins;
  const problem = result.error?.message ?? (payload ? problems(payload.userErrors) : "No answer");
  if (problem || !payload?.wallet) {
    say("shop-status", problem ?? "No wallet returned", true);
    return;
  }
  // No refetch: the header's coin count follows from the wallet in the payload (graphcache).
  say("shop-status", `Bought ${coins} coins: you have ${payload.wallet.coins}.`);
}
