import type { Client } from "@urql/core";

import { createApiClient as createClient, type SocketState } from "./client";
import { byId, say } from "./dom";
import { clearEarnings, showEarnings } from "./earnings";
import { LogInDocument, LogOutDocument, ViewerDocument } from "./gql/graphql";
import { closeCreator, showCreator } from "./series";
import { showShop } from "./shop";

// The bearer token lives for this tab only.
const TOKEN_KEY = "reelpay.token";
// The live section shows whether its WebSocket is up.
function createApiClient(token: string | null): Client {
  return createClient(token, (state: SocketState) => {
    byId("live").dataset.socket = state;
    byId("socket").textContent = state;
  });
}

let client: Client = createApiClient(sessionStorage.getItem(TOKEN_KEY));
let stopHeader = () => {};

/** Keep the header in step with the cache: any payload returning the wallet updates it. */
function startSession(): void {
  stopHeader();
  closeCreator();
  clearEarnings();
  say("shop-status", "");
  const { unsubscribe } = client.query(ViewerDocument, {}).subscribe((result) => {
    const viewer = result.data?.viewer;
    const signedIn = Boolean(viewer);
    byId("who").textContent = viewer ? `@${viewer.handle} (${viewer.displayName})` : "Not signed in";
    byId("coins").textContent = viewer?.wallet ? String(viewer.wallet.coins) : "–";
    byId("logout").hidden = !signedIn;
    for (const id of ["shop", "creator", "earnings"]) byId(id).hidden = !signedIn;
  });
  stopHeader = unsubscribe;
  if (sessionStorage.getItem(TOKEN_KEY)) void showShop(client);
}

byId<HTMLFormElement>("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.currentTarget as HTMLFormElement);
  const input = { email: String(form.get("email")), password: String(form.get("password")) };
  say("login-status", "Signing in…");
  const result = await client.mutation(LogInDocument, { input }).toPromise();
  const payload = result.data?.logIn;
  if (!payload?.token) {
    const problem = payload?.userErrors.map((e) => e.message).join("; ");
    say("login-status", problem || result.error?.message || "Could not sign in", true);
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, payload.token);
  client = createApiClient(payload.token);
  say("login-status", `Signed in as @${payload.account?.handle ?? "?"}`);
  startSession();
});

byId("logout").addEventListener("click", async () => {
  await client.mutation(LogOutDocument, { input: {} }).toPromise();
  sessionStorage.removeItem(TOKEN_KEY);
  client = createApiClient(null);
  say("login-status", "Signed out");
  startSession();
});

byId<HTMLFormElement>("creator-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = new FormData(event.currentTarget as HTMLFormElement);
  showCreator(client, String(form.get("handle")));
});

byId("load-earnings").addEventListener("click", () => void showEarnings(client));

startSession();
