// @ts-check
// The browser test: Debian's chromium, driven by playwright-core, against a running Reelpay
// server (demo data loaded) and the example client served on another origin.
//
//   node tests/browser.mjs <server-url> <client-url> [artefacts-dir]
//
// 1. GraphiQL at <server>/graphql loads with every request to another host aborted, and runs a
//    query whose result appears.
// 2. The client signs in (tara.tech), buys coins, buys chef.leo's Series with coins, plays an
//    episode, and sees a gift another user (fan01, over plain HTTP) sends to his LIVE arrive.
// 3. Signed in as chef.leo, the client draws his earnings by source per day.
// Each step waits for specific text or elements (with timeouts) and leaves a screenshot.
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { randomUUID } from "node:crypto";
import { chromium } from "playwright-core";

const [serverArg, clientUrl, artefactsArg = "artifacts"] = process.argv.slice(2);
if (!serverArg || !clientUrl) {
  console.error("usage: node tests/browser.mjs <server-url> <client-url> [artefacts-dir]");
  process.exit(2);
}
const server = serverArg.replace(/\/graphql\/?$/, "").replace(/\/$/, "");
const api = `${server}/graphql`;
const artefacts = resolve(artefactsArg);
mkdirSync(artefacts, { recursive: true });

const PASSWORD = "reelpay-demo"; // src/reelpay/demo: every demo account shares it
const email = (/** @type {string} */ handle) => `${handle}@demo.reelpay.dev`;
const BUYER = "tara.tech"; // 32, GB, no coins and no Series yet in the demo
const CREATOR = "chef.leo"; // LIVE now, sells a Series, has earnings
const GIFTER = "fan01"; // bought coins in the demo
const TIMEOUT = 15_000;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

/** @type {string[]} */
const failures = [];
let shot = 0;

/**
 * Run one step and screenshot it; a failure is recorded (with a screenshot) and returns false,
 * so that the steps building on it are skipped.
 * @param {string} name
 * @param {import("playwright-core").Page} page
 * @param {() => Promise<void>} body
 */
async function step(name, page, body) {
  const file = (/** @type {string} */ suffix) =>
    `${artefacts}/${String(++shot).padStart(2, "0")}-${name}${suffix}.png`;
  try {
    await body();
    const path = file("");
    await page.screenshot({ path, fullPage: true });
    console.log(`ok   ${name} (${path})`);
    return true;
  } catch (error) {
    const path = file("-FAILED");
    await page.screenshot({ path, fullPage: true }).catch(() => {});
    failures.push(name);
    console.log(`FAIL ${name}: ${error instanceof Error ? error.message : error} (${path})`);
    return false;
  }
}

/**
 * One GraphQL request over plain HTTP, as another client would send it.
 * @param {string} query
 * @param {Record<string, unknown>} variables
 * @param {string | null} token
 */
async function graphql(query, variables = {}, token = null) {
  const response = await fetch(api, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** @param {import("playwright-core").Page} page */
function watchErrors(page) {
  page.on("pageerror", (error) => failures.push(`page error: ${error.message}`));
  page.on("response", (response) => {
    if (response.status() >= 400) console.log(`     ${response.status()} ${response.url()}`);
  });
  page.on("console", (message) => {
    if (message.type() === "error") console.log(`     console: ${message.text()}`);
  });
}

/**
 * Wait until an element's text includes `text`.
 * @param {import("playwright-core").Page} page
 * @param {string} selector
 * @param {string} text
 */
async function waitForText(page, selector, text) {
  await page.waitForFunction(
    ([s, t]) => (document.querySelector(s)?.textContent ?? "").includes(t),
    [selector, text],
    { timeout: TIMEOUT },
  );
}

/** @param {import("playwright-core").Page} page */
async function coins(page) {
  return Number(await page.locator("#coins").textContent());
}

/**
 * @param {import("playwright-core").Page} page
 * @param {string} handle
 */
async function signIn(page, handle) {
  await page.fill("input[name=email]", email(handle));
  await page.fill("input[name=password]", PASSWORD);
  await page.click("#login-form button[type=submit]");
  await waitForText(page, "#who", `@${handle}`);
  await page.waitForFunction(() => /^\d+$/.test(document.querySelector("#coins")?.textContent ?? ""), null, { timeout: TIMEOUT });
}

// 1. GraphiQL, with the outside world unreachable.
{
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  watchErrors(page);
  const ownHost = new URL(server).host;
  /** @type {string[]} */
  const blocked = [];
  await page.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.host === ownHost) return route.continue();
    blocked.push(url.toString());
    return route.abort("internetdisconnected");
  });
  await step("graphiql", page, async () => {
    const query = "{ coinPackages { coins price { amount currency } } }";
    await page.goto(`${api}?q=${encodeURIComponent(query)}`);
    await page.waitForSelector(".graphiql-execute-button", { timeout: TIMEOUT });
    await page.click(".graphiql-execute-button");
    // The result pane renders only the lines in view: the first package is among them.
    await waitForText(page, ".graphiql-response", '"coins": 70,');
    await waitForText(page, ".graphiql-response", '"amount": "0.99"');
  });
  if (blocked.length) console.log(`     blocked requests to other hosts: ${blocked.join(", ")}`);
  await context.close();
}

// 2 and 3. The example client, on another origin than the API.
{
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  watchErrors(page);
  await page.goto(clientUrl);

  let before = 0;
  // Each step builds on the one before: the first failure skips the rest.
  (await step("sign-in", page, async () => {
    await signIn(page, BUYER);
    before = await coins(page);
  })) &&
  (await step("buy-coins", page, async () => {
    await page.click('button[data-coins="1400"]', { timeout: TIMEOUT });
    await waitForText(page, "#shop-status", `Bought 1400 coins: you have ${before + 1400}.`);
    // The header follows the wallet in the mutation's payload through the normalised cache.
    await waitForText(page, "#coins", String(before + 1400));
  })) &&
  (await step("buy-series", page, async () => {
    await page.click("#creator-form button[type=submit]");
    const card = page.locator(".series", { hasText: "Five-ingredient dinners" });
    await card.getByRole("button", { name: "Buy with coins" }).click({ timeout: TIMEOUT });
    // $9.99 at the coin rate: ceil(999 * 70 / 99) = 707 coins.
    await waitForText(page, "#series-status", "Purchased for 707 coins.");
    await waitForText(page, ".series .access", "Access: PURCHASED");
    await waitForText(page, "#coins", String(before + 1400 - 707));
  })) &&
  (await step("play-episode", page, async () => {
    await page.locator(".series button[data-episode]").first().click({ timeout: TIMEOUT });
    await waitForText(page, "#now-playing", "Now playing: Monday: lemon pasta");
    await waitForText(page, "#player-content", "episode ");
  })) &&
  (await step("live-gift", page, async () => {
    await waitForText(page, "#live-title", "Sunday bread, live from my kitchen");
    await page.waitForSelector('#live[data-socket="connected"]', { timeout: TIMEOUT });
    const login = await graphql(
      "mutation($input: LogInInput!) { logIn(input: $input) { token userErrors { message } } }",
      { input: { email: email(GIFTER), password: PASSWORD } },
    );
    const token = login.logIn.token;
    if (!token) throw new Error(`${GIFTER} could not log in: ${JSON.stringify(login)}`);
    const { account, gifts } = await graphql(
      "query($h: String!) { account(handle: $h) { currentLive { id } } gifts { id name coinPrice } }",
      { h: CREATOR },
    );
    const liveId = account.currentLive.id;
    const gift = gifts[0];
    await graphql(
      "mutation($input: JoinLiveInput!) { joinLive(input: $input) { userErrors { message } } }",
      { input: { liveId } },
      token,
    );
    // The subscription starts on the server just after the socket connects: a gift sent in
    // between is not an event for it, so send again (a new gift) if the first does not show.
    const line = `@${GIFTER} sent 3 × ${gift.name}`;
    for (let attempt = 1; ; attempt++) {
      const sent = await graphql(
        `mutation($input: SendGiftInput!) {
           sendGift(input: $input) { gift { quantity } userErrors { code message } }
         }`,
        { input: { giftId: gift.id, quantity: 3, liveId, idempotencyKey: randomUUID() } },
        token,
      );
      if (sent.sendGift.userErrors.length) throw new Error(JSON.stringify(sent.sendGift));
      try {
        await page.waitForFunction(
          (t) => [...document.querySelectorAll("#gift-feed li.gift")].some((li) => li.textContent === t),
          line,
          { timeout: attempt < 3 ? 5_000 : TIMEOUT },
        );
        console.log(`     the gift arrived live (attempt ${attempt})`);
        break;
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
  })) &&
  (await step("earnings-chart", page, async () => {
    await page.click("#logout");
    await waitForText(page, "#login-status", "Signed out");
    await signIn(page, CREATOR);
    await page.click("#load-earnings");
    await page.waitForSelector("#earnings-chart[data-days]", { timeout: TIMEOUT });
    await waitForText(page, "#earnings-summary", "SERIES");
    // Chart.js drew something: the canvas has painted pixels.
    const painted = await page.evaluate(() => {
      const canvas = /** @type {HTMLCanvasElement} */ (document.getElementById("earnings-chart"));
      const pixels = canvas.getContext("2d")?.getImageData(0, 0, canvas.width, canvas.height);
      return pixels ? pixels.data.filter((value, i) => i % 4 === 3 && value > 0).length : 0;
    });
    if (painted < 1000) throw new Error(`the chart painted only ${painted} pixels`);
  }));
  await context.close();
}

await browser.close();
console.log(`screenshots: ${artefacts}`);
if (failures.length) {
  console.log(`FAILED: ${failures.join("; ")}`);
  process.exit(1);
}
console.log("all browser steps passed");
