#!/usr/bin/env node
// Does Apollo Client's normalised InMemoryCache stay right after Reelpay's money mutations?
//
//   node check.mjs http://127.0.0.1:8771/graphql
//
// Logs in as a demo fan (`reelpay seed-demo`), reads `viewer { wallet { id coins } }` into an
// InMemoryCache, then runs purchaseCoins and sendGift through the same client. After each, the
// wallet read with fetchPolicy 'cache-only' must equal a 'network-only' read of the server.
// Exit 0 when it does, 1 (with the reason) when it does not or anything fails.
//
// A schema whose Wallet has no `id` cannot be asked for one: the script then selects what such a
// schema allows (`wallet { coins }`), as a client of it would, and shows the cache going stale.

import { randomUUID } from "node:crypto";
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";

const DEMO_EMAIL = process.env.REELPAY_DEMO_EMAIL ?? "fan01@demo.reelpay.dev";
const DEMO_PASSWORD = process.env.REELPAY_DEMO_PASSWORD ?? "reelpay-demo";
const LIVE_CREATOR = "chef.leo"; // LIVE in the demo data
const SANDBOX_TOKEN = "tok_sandbox_success";

class CheckFailed extends Error {}

function fail(message) {
  throw new CheckFailed(message);
}

function client(url, token) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  return new ApolloClient({
    link: new HttpLink({ uri: url, headers }),
    cache: new InMemoryCache(),
  });
}

async function must(promise, what) {
  try {
    return await promise;
  } catch (error) {
    fail(`${what} failed: ${error.message}`);
  }
}

function noUserErrors(payload, what) {
  if (!payload) fail(`${what} returned no payload`);
  if (payload.userErrors.length) {
    fail(`${what} refused: ${JSON.stringify(payload.userErrors)}`);
  }
}

async function logIn(url) {
  const { data } = await must(
    client(url).mutate({
      mutation: gql`
        mutation LogIn($input: LogInInput!) {
          logIn(input: $input) { token userErrors { code message } }
        }
      `,
      variables: { input: { email: DEMO_EMAIL, password: DEMO_PASSWORD } },
    }),
    "logIn",
  );
  noUserErrors(data.logIn, `logIn as ${DEMO_EMAIL} (run \`reelpay seed-demo\` first)`);
  return data.logIn.token;
}

/** "id coins" where the type has an `id`, else "coins": what the schema lets a client ask. */
async function selection(apollo, typeName) {
  const { data } = await must(
    apollo.query({
      query: gql`
        query Fields($name: String!) { __type(name: $name) { fields { name } } }
      `,
      variables: { name: typeName },
      fetchPolicy: "no-cache",
    }),
    `introspecting ${typeName}`,
  );
  const names = (data.__type?.fields ?? []).map((f) => f.name);
  if (!names.includes("id")) {
    console.log(`note: ${typeName} has no \`id\`; selecting { coins } as a client of it must`);
    return "coins";
  }
  return "id coins";
}

async function main(url) {
  if (!url) fail("usage: node check.mjs <graphql-url>");
  const apollo = client(url, await logIn(url));
  const walletFields = await selection(apollo, "Wallet");
  const purchaseFields = await selection(apollo, "CoinPurchase");
  const giftFields = await selection(apollo, "GiftSent");
  const WALLET = gql(`query Wallet { viewer { wallet { ${walletFields} } } }`);

  async function wallet(fetchPolicy) {
    const result = await must(apollo.query({ query: WALLET, fetchPolicy }), `${fetchPolicy} read`);
    return result.data?.viewer?.wallet ?? null;
  }

  async function expectCacheFresh(step) {
    const cached = await wallet("cache-only");
    const server = await wallet("network-only");
    const shown = JSON.stringify({ cache: cached, server });
    if (JSON.stringify(cached) !== JSON.stringify(server)) {
      fail(`after ${step}, the cache is stale: ${shown}`);
    }
    console.log(`ok: after ${step}, the cache matches the server: ${JSON.stringify(server)}`);
    return server;
  }

  const before = await wallet("network-only");
  if (!before) fail("viewer.wallet is null: not logged in?");
  console.log(`start: ${JSON.stringify(before)}`);

  const { data: catalog } = await must(
    apollo.query({
      query: gql`
        query Catalog($handle: String!) {
          coinPackages { id coins }
          gifts { id coinPrice }
          account(handle: $handle) { id currentLive { id } }
        }
      `,
      variables: { handle: LIVE_CREATOR },
      fetchPolicy: "network-only",
    }),
    "reading the catalog",
  );
  const pack = catalog.coinPackages.reduce((a, b) => (a.coins <= b.coins ? a : b));
  const gift = catalog.gifts.reduce((a, b) => (a.coinPrice <= b.coinPrice ? a : b));
  const live = catalog.account?.currentLive;
  if (!live) fail(`${LIVE_CREATOR} is not LIVE: run \`reelpay seed-demo\` on a fresh database`);

  const { data: bought } = await must(
    apollo.mutate({
      mutation: gql(`
        mutation Buy($input: PurchaseCoinsInput!) {
          purchaseCoins(input: $input) {
            purchase { ${purchaseFields} } wallet { ${walletFields} } userErrors { code message }
          }
        }
      `),
      variables: {
        input: { packageId: pack.id, paymentToken: SANDBOX_TOKEN, idempotencyKey: randomUUID() },
      },
    }),
    "purchaseCoins",
  );
  noUserErrors(bought.purchaseCoins, "purchaseCoins");
  const afterPurchase = await expectCacheFresh(`purchaseCoins (+${pack.coins} coins)`);
  if (afterPurchase.coins !== before.coins + pack.coins) {
    fail(`the server credited ${afterPurchase.coins - before.coins}, not ${pack.coins} coins`);
  }

  const { data: sent } = await must(
    apollo.mutate({
      mutation: gql(`
        mutation Gift($input: SendGiftInput!) {
          sendGift(input: $input) {
            gift { ${giftFields} } wallet { ${walletFields} } userErrors { code message }
          }
        }
      `),
      variables: {
        input: { giftId: gift.id, liveId: live.id, quantity: 1, idempotencyKey: randomUUID() },
      },
    }),
    "sendGift",
  );
  noUserErrors(sent.sendGift, "sendGift");
  const afterGift = await expectCacheFresh(`sendGift (-${gift.coinPrice} coins)`);
  if (afterGift.coins !== afterPurchase.coins - gift.coinPrice) {
    fail(`the gift took ${afterPurchase.coins - afterGift.coins}, not ${gift.coinPrice} coins`);
  }
  console.log("PASS: Apollo's InMemoryCache stayed right after purchaseCoins and sendGift");
}

main(process.argv[2]).catch((error) => {
  console.error(`FAIL: ${error instanceof CheckFailed ? error.message : error.stack}`);
  process.exit(1);
});
