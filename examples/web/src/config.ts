// Where the API is. The app is served from another origin (vite on 5173, `vite preview` on
// 4173), so the URL is absolute; the API's CORS lets localhost pages call it in development.
export const API_URL: string =
  import.meta.env.VITE_REELPAY_URL ?? "http://127.0.0.1:8000/graphql";

// Subscriptions (graphql-transport-ws) live on the same path over ws:// or wss://.
export const WS_URL: string = API_URL.replace(/^http/, "ws");

// Playback links are relative to the API's origin.
export function apiLink(path: string): string {
  return new URL(path, API_URL).toString();
}
