// A mailing's page: its facts and stats, its runs with a progress bar each (polled while a run
// is open, no longer once they all closed), a chart of outcomes per run, the delivery log with
// its filters, "Send now", and the link to the CSV export.
import Alpine from "../vendor/alpinejs/module.esm.min.js";
import { gql } from "./api.js";
import {
  chartWhenVisible,
  DELIVERY_STATUS,
  formatDateTime,
  formatNumber,
  label,
  leaveIfSignedOut,
  MAILING_STATUS,
  OPERATION_INFO,
  PERIODICITY,
  refusal,
  RUN_STATUS,
} from "./ui.js";

const POLL_MS = 1500;
const LOG_PAGE = 50;
const STATS = "total sent deferred failed skipped pending";
const RUN_FIELDS = `id scheduledFor startedAt finishedAt status trigger isOpen stats { ${STATS} }`;
const MAILING_STATE = `status isActive nextRunAt stats { ${STATS} } runs(first: 20) { edges { node { ${RUN_FIELDS} } } }`;

export const MAILING_PAGE = `query MailingPage($id: ID!) {
  me { id }
  node(id: $id) {
    ... on Mailing { id periodicity startAt endAt timeZone clientCount message { subject } ${MAILING_STATE} }
  }
}`;

export const MAILING_PROGRESS = `query MailingProgress($id: ID!) {
  me { id }
  node(id: $id) { ... on Mailing { id ${MAILING_STATE} } }
}`;

export const MAILING_LOG = `query MailingLog($filters: DeliveryAttemptFilter!, $first: Int!, $after: String) {
  deliveryAttempts(filters: $filters, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id email status attempts lastAttemptAt smtpCode serverResponse messageId } }
  }
}`;

export const SEND_MAILING_NOW = `mutation SendMailingNow($id: ID!) {
  sendMailingNow(id: $id) { __typename ... on MailingRun { id } ${OPERATION_INFO} }
}`;

const STAT_LABELS = {
  total: () => gettext("Total"),
  sent: () => gettext("Sent"),
  deferred: () => gettext("Deferred"),
  failed: () => gettext("Failed"),
  skipped: () => gettext("Skipped"),
  pending: () => gettext("Pending"),
};
const CHART_SERIES = [
  ["sent", "#198754"],
  ["deferred", "#fd7e14"],
  ["failed", "#dc3545"],
  ["skipped", "#6c757d"],
  ["pending", "#0d6efd"],
];

// Chart.js keeps its own state: outside Alpine's reactive proxies. It is loaded once the chart
// first comes into view (below the runs on a phone), asked for once.
let chart = null;
let chartLoading = null;

function progress(stats) {
  if (!stats.total) return 0;
  return Math.round((100 * (stats.total - stats.pending - stats.deferred)) / stats.total);
}

Alpine.data("mailingPage", () => ({
  id: "",
  mailing: null,
  timeZone: undefined,
  subject: "",
  facts: {},
  statList: [],
  runs: [],
  pageError: "",
  sending: false,
  sendError: "",
  sendNotice: "",
  log: [],
  logLoaded: false,
  logTotal: 0,
  logAfter: null,
  logNext: null,
  logHasNext: false,
  logError: "",
  logFilter: { status: "", run: "", email: "" },
  timer: null,
  openRuns: 0,
  chartError: "",

  init() {
    this.id = this.$root.dataset.mailingId;
    this.load();
    this.loadLog();
  },

  get statuses() {
    return Object.keys(DELIVERY_STATUS).map((value) => ({ value, label: label(DELIVERY_STATUS, value) }));
  },
  get logSummary() {
    return this.logLoaded ? interpolate(ngettext("%s row", "%s rows", this.logTotal), [formatNumber(this.logTotal)]) : "";
  },

  async load() {
    try {
      const data = await gql(MAILING_PAGE, { id: this.id });
      if (leaveIfSignedOut(data)) return;
      if (!data.node) {
        this.pageError = gettext("Mailing not found.");
        return;
      }
      this.mailing = data.node;
      this.timeZone = data.node.timeZone;
      this.subject = data.node.message.subject;
      this.show(data.node);
    } catch (error) {
      this.pageError = error.message;
    }
  },

  show(node) {
    const m = { ...this.mailing, ...node };
    this.mailing = m;
    const zone = m.timeZone;
    this.facts = {
      status: label(MAILING_STATUS, m.status),
      active: m.isActive ? gettext("enabled") : gettext("disabled"),
      periodicity: label(PERIODICITY, m.periodicity),
      start: formatDateTime(m.startAt, zone),
      end: formatDateTime(m.endAt, zone),
      nextRun: formatDateTime(m.nextRunAt, zone),
      timeZone: zone,
      clients: formatNumber(m.clientCount),
    };
    this.statList = Object.keys(STAT_LABELS).map((key) => ({
      key,
      label: label(STAT_LABELS, key),
      value: formatNumber(m.stats[key]),
    }));
    const wasOpen = this.openRuns;
    this.runs = m.runs.edges.map(({ node: run }) => this.decorateRun(run));
    this.openRuns = this.runs.filter((r) => r.isOpen).length;
    // The chart's canvas is there once Alpine has built the page's sections for this data.
    this.$nextTick(() => this.drawChart());
    if (wasOpen && !this.openRuns) this.loadLog();
    this.schedulePoll();
  },

  decorateRun(run) {
    const percent = progress(run.stats);
    return {
      ...run,
      when: formatDateTime(run.scheduledFor, this.timeZone),
      triggerText: run.trigger === "MANUAL" ? gettext("by hand") : gettext("the schedule"),
      statusText: label(RUN_STATUS, run.status),
      percent,
      percentText: `${formatNumber(percent)} %`,
      barStyle: { width: `${percent}%` },
      progressLabel: interpolate(gettext("Progress of the run of %s"), [formatDateTime(run.scheduledFor, this.timeZone)]),
      sentText: formatNumber(run.stats.sent),
      failedText: formatNumber(run.stats.failed),
      skippedText: formatNumber(run.stats.skipped),
    };
  },

  drawChart() {
    const canvas = document.getElementById("runs-chart");
    if (!canvas) return;
    if (!window.Chart) {
      chartLoading ??= chartWhenVisible(canvas).then(
        () => this.drawChart(),
        (error) => (this.chartError = error.message),
      );
      return;
    }
    const runs = [...this.runs].reverse();
    const data = {
      labels: runs.map((r) => r.when),
      datasets: CHART_SERIES.map(([key, color]) => ({
        label: label(STAT_LABELS, key),
        data: runs.map((r) => r.stats[key]),
        backgroundColor: color,
      })),
    };
    if (chart) {
      chart.data = data;
      chart.update("none");
      return;
    }
    chart = new window.Chart(canvas, {
      type: "bar",
      data,
      options: {
        animation: false,
        maintainAspectRatio: false,
        locale: document.documentElement.lang,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  },

  schedulePoll() {
    clearTimeout(this.timer);
    if (this.openRuns) this.timer = setTimeout(() => this.poll(), POLL_MS);
  },

  async poll() {
    try {
      const data = await gql(MAILING_PROGRESS, { id: this.id });
      if (leaveIfSignedOut(data)) return;
      if (data.node) this.show(data.node);
    } catch (error) {
      this.pageError = error.message;
      this.schedulePoll();
    }
  },

  async sendNow() {
    this.sending = true;
    this.sendError = "";
    this.sendNotice = "";
    try {
      const data = await gql(SEND_MAILING_NOW, { id: this.id });
      const errors = refusal(data.sendMailingNow);
      if (Object.keys(errors).length) {
        this.sendError = Object.values(errors).flat().join(" ");
      } else {
        this.sendNotice = gettext("A new run has started.");
        await this.poll();
        this.loadLog();
      }
    } catch (error) {
      this.sendError = error.message;
    }
    this.sending = false;
  },

  logFilters() {
    const filters = { mailing: this.id };
    if (this.logFilter.status) filters.status = this.logFilter.status;
    if (this.logFilter.run) filters.run = this.logFilter.run;
    if (this.logFilter.email.trim()) filters.email = this.logFilter.email.trim();
    return filters;
  },

  async loadLog(after = null) {
    try {
      const data = await gql(MAILING_LOG, { filters: this.logFilters(), first: LOG_PAGE, after });
      const connection = data.deliveryAttempts;
      this.logTotal = connection.totalCount;
      this.logAfter = after;
      this.logNext = connection.pageInfo.endCursor;
      this.logHasNext = connection.pageInfo.hasNextPage;
      this.log = connection.edges.map(({ node }) => ({
        ...node,
        when: formatDateTime(node.lastAttemptAt, this.timeZone),
        statusText: label(DELIVERY_STATUS, node.status),
        attemptsText: formatNumber(node.attempts),
        reply: node.serverResponse || (node.smtpCode ? String(node.smtpCode) : "—"),
      }));
      this.logError = "";
    } catch (error) {
      this.logError = error.message;
    }
    this.logLoaded = true;
  },

  filterLog() {
    this.loadLog();
  },
  firstLogPage() {
    this.loadLog();
  },
  nextLogPage() {
    this.loadLog(this.logNext);
  },
}));

Alpine.start();
