import type { CodegenConfig } from "@graphql-codegen/cli";

// Types for the operations in src/graphql/*.graphql, checked against the repository's schema.
// Reelpay's custom scalars all travel as JSON strings; without this mapping the client preset
// types them as `unknown`.
const scalars = {
  Date: { input: "string", output: "string" }, // RFC 3339 full-date, "2026-12-05" (UTC day)
  DateTime: { input: "string", output: "string" }, // RFC 3339 date-time in UTC
  Decimal: { input: "string", output: "string" }, // money amounts, "4.99": never a float
  ID: { input: "string", output: "string" }, // opaque global IDs
};

const config: CodegenConfig = {
  // REELPAY_SCHEMA: another schema file (a server under development); default the repository's.
  schema: process.env.REELPAY_SCHEMA ?? "../../schema.graphql",
  documents: ["src/graphql/**/*.graphql"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: {
        scalars,
        strictScalars: true,
        enumsAsTypes: true,
        useTypeImports: true,
        avoidOptionals: { field: true, inputValue: false },
      },
    },
  },
};

export default config;
