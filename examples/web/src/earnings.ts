import type { Client } from "@urql/core";
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  Tooltip,
} from "chart.js";

import { byId, say } from "./dom";
import { CreatorEarningsDocument, type EarningsSource } from "./gql/graphql";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

const COLOURS: Record<EarningsSource, string> = {
  REWARDS: "#4e79a7",
  GIFTS: "#f28e2b",
  TIPS: "#59a14f",
  SERIES: "#e15759",
  MARKETPLACE: "#76b7b2",
};

let chart: Chart<"bar"> | null = null;

/** Remove the chart (on signing in or out). */
export function clearEarnings(): void {
  chart?.destroy();
  chart = null;
  delete byId("earnings-chart").dataset.days;
  say("earnings-summary", "");
}

/** The signed-in creator's earnings per UTC day of the last 30, stacked by source. */
export async function showEarnings(client: Client): Promise<void> {
  const result = await client
    .query(CreatorEarningsDocument, {}, { requestPolicy: "network-only" })
    .toPromise();
  const wallet = result.data?.viewer?.wallet;
  if (!wallet) {
    say("earnings-summary", result.error?.message ?? "Sign in to see your earnings", true);
    return;
  }
  const days = wallet.earningsByDay;
  // Amounts arrive as exact minor units; dollars are for the axis only.
  const sources = [...new Set(days.flatMap((day) => day.bySource.map((s) => s.source)))];
  const datasets = sources.map((source) => ({
    label: source,
    backgroundColor: COLOURS[source],
    data: days.map(
      (day) => (day.bySource.find((s) => s.source === source)?.amount.minorUnits ?? 0) / 100,
    ),
  }));
  chart?.destroy();
  const canvas = byId<HTMLCanvasElement>("earnings-chart");
  chart = new Chart(canvas, {
    type: "bar",
    data: { labels: days.map((day) => day.date), datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: {
        x: { stacked: true },
        y: { stacked: true, title: { display: true, text: wallet.earnings.currency } },
      },
    },
  });
  canvas.dataset.days = String(days.length);
  canvas.dataset.sources = sources.join(",");
  say(
    "earnings-summary",
    `Available ${wallet.earnings.amount} ${wallet.earnings.currency}, pending ` +
      `${wallet.pendingEarnings.amount}; ${days.length} days, sources: ${sources.join(", ")}`,
  );
}
