import Alpine from "../vendor/alpinejs/module.esm.min.js";
import { gql } from "./api.js";
import { formatDay, formatNumber } from "./ui.js";

const RUN_FIELDS = `id
    mailing { id message { subject } }
    stats { total sent deferred failed skipped pending }`;

// One request on load; then one a few seconds apart while a run is open.
const DASHBOARD = `query DashboardPage {
  me { mailingCount activeMailingCount clientCount }
  deliveryDailyCounts(days: 30) { day sent deferred failed }
  openRuns(first: 20) {
    ${RUN_FIELDS}
  }
}`;
const OPEN_RUNS = `query DashboardRuns {
  openRuns(first: 20) {
    ${RUN_FIELDS}
  }
}`;
const POLL_MS = 3000;

function percent(part, whole) {
  return { width: `${whole ? (100 * part) / whole : 0}%` };
}

function runView(run) {
  const { total, sent, failed, skipped } = run.stats;
  const done = sent + failed + skipped;
  return {
    id: run.id,
    href: `/app/mailings/${encodeURIComponent(run.mailing.id)}/`,
    subject: run.mailing.message.subject,
    total,
    done,
    caption: interpolate(gettext("%(done)s of %(total)s done · %(sent)s sent, %(failed)s failed"), {
      done: formatNumber(done), total: formatNumber(total), sent: formatNumber(sent), failed: formatNumber(failed),
    }, true),
    sentStyle: percent(sent, total),
    failedStyle: percent(failed, total),
    skippedStyle: percent(skipped, total),
  };
}

function drawChart(canvas, days) {
  const color = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const series = (key, label, background) => ({ label, data: days.map((d) => d[key]), backgroundColor: background });
  return new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: days.map((d) => formatDay(d.day)),
      datasets: [
        series("sent", canvas.dataset.labelSent, color("--bs-success")),
        series("deferred", canvas.dataset.labelDeferred, color("--bs-warning")),
        series("failed", canvas.dataset.labelFailed, color("--bs-danger")),
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      locale: document.documentElement.lang,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
}

Alpine.data("dashboard", () => ({
  error: "",
  figures: { mailings: "…", active: "…", clients: "…", sent: "…", failed: "…" },
  chartSummary: "",
  runs: [],
  loaded: false,
  timer: null,

  get noRuns() {
    return this.loaded && this.runs.length === 0;
  },

  async init() {
    try {
      const data = await gql(DASHBOARD);
      const { me, deliveryDailyCounts: days } = data;
      const sum = (key) => days.reduce((total, d) => total + d[key], 0);
      this.figures = {
        mailings: formatNumber(me.mailingCount),
        active: formatNumber(me.activeMailingCount),
        clients: formatNumber(me.clientCount),
        sent: formatNumber(sum("sent")),
        failed: formatNumber(sum("failed")),
      };
      this.chartSummary = interpolate(
        gettext("Deliveries per day over 30 days: %(sent)s sent, %(deferred)s deferred, %(failed)s failed in all."),
        { sent: formatNumber(sum("sent")), deferred: formatNumber(sum("deferred")), failed: formatNumber(sum("failed")) },
        true,
      );
      drawChart(document.getElementById("daily-chart"), days);
      this.showRuns(data.openRuns);
    } catch (error) {
      this.error = error.message;
    }
  },

  showRuns(runs) {
    this.runs = runs.map(runView);
    this.loaded = true;
    clearTimeout(this.timer);
    if (runs.length) this.timer = setTimeout(() => this.poll(), POLL_MS);
  },

  async poll() {
    try {
      this.showRuns((await gql(OPEN_RUNS)).openRuns);
    } catch (error) {
      this.error = error.message;
    }
  },
}));

Alpine.start();
