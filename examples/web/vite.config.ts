import { defineConfig } from "vite";

// `vite` serves on 5173 and `vite preview` on 4173: both are other origins than the API, which
// is what a real deployment looks like (the API's CORS admits localhost ports in development).
export default defineConfig({
  server: { host: "127.0.0.1", port: 5173, strictPort: true },
  preview: { host: "127.0.0.1", port: 4173, strictPort: true },
});
