/// <reference types="vite/client" />

interface ImportMetaEnv {
  readonly VITE_REELPAY_URL?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
