// What the clients, messages, mailings and manager pages share: formatting in the page's
// language (Intl), the API's refusals as errors by field, and the way out when the session ended.

import { fieldErrors, gql } from "./api.js";

export const lang = document.documentElement.lang || "en";
const loginUrl = document.documentElement.dataset.login || "/accounts/login/";

const numbers = new Intl.NumberFormat(lang);

export function formatNumber(value) {
  return numbers.format(value || 0);
}

// Building an Intl.DateTimeFormat costs far more than using one (a page formats every row of its
// tables): one per time zone, kept.
const dateTimes = new Map();

/** A moment (ISO, aware) as the reader's wall time in `timeZone` (the browser's when none). */
export function formatDateTime(iso, timeZone) {
  if (!iso) return "—";
  const key = timeZone || "";
  if (!dateTimes.has(key)) {
    const options = { dateStyle: "medium", timeStyle: "short" };
    if (timeZone) options.timeZone = timeZone;
    dateTimes.set(key, new Intl.DateTimeFormat(lang, options));
  }
  return dateTimes.get(key).format(new Date(iso));
}

const days = new Intl.DateTimeFormat(lang, { day: "numeric", month: "short", timeZone: "UTC" });

/** A calendar day ("2026-12-03") as a short day and month. */
export function formatDay(isoDate) {
  return days.format(new Date(`${isoDate}T00:00:00Z`));
}

/** A moment (ISO, aware) as the naive `YYYY-MM-DDTHH:MM` of a datetime-local input in `timeZone`. */
export function wallTime(iso, timeZone) {
  if (!iso) return "";
  const parts = {};
  const format = new Intl.DateTimeFormat("en-GB", {
    timeZone: timeZone || undefined,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
  for (const { type, value } of format.formatToParts(new Date(iso))) parts[type] = value;
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

/** The browser's wall time now, as a datetime-local value in `timeZone`. */
export function wallTimeNow(timeZone, plusMinutes = 0) {
  return wallTime(new Date(Date.now() + plusMinutes * 60000).toISOString(), timeZone);
}

/** A datetime-local value as the naive ISO date-time the API reads in the mailing's zone. */
export function naiveIso(value) {
  if (!value) return null;
  return value.length === 16 ? `${value}:00` : value;
}

/** A session that ended (logged out, or blocked by a manager) sends the reader to the login page. */
export function leaveIfSignedOut(data) {
  if (data && data.me === null) {
    window.location.assign(`${loginUrl}?next=${encodeURIComponent(window.location.pathname)}`);
    return true;
  }
  return false;
}

/** A mutation's refusal by field; a refusal because the session ended leads to the login page. */
export function refusal(payload) {
  const errors = fieldErrors(payload);
  const permission = (payload && payload.messages) || [];
  if (permission.some((m) => m.kind === "PERMISSION" && /authenticated/i.test(m.message))) {
    leaveIfSignedOut({ me: null });
  }
  return errors;
}

export const PERIODICITY = {
  ONCE: () => gettext("once"),
  DAILY: () => gettext("daily"),
  WEEKLY: () => gettext("weekly"),
  MONTHLY: () => gettext("monthly"),
};

export const MAILING_STATUS = {
  CREATED: () => gettext("created"),
  STARTED: () => gettext("started"),
  FINISHED: () => gettext("finished"),
};

export const DELIVERY_STATUS = {
  QUEUED: () => gettext("QUEUED"),
  SENDING: () => gettext("SENDING"),
  SENT: () => gettext("SENT"),
  DEFERRED: () => gettext("DEFERRED"),
  FAILED: () => gettext("FAILED"),
  BOUNCED: () => gettext("BOUNCED"),
  SKIPPED: () => gettext("SKIPPED"),
};

export const RUN_STATUS = {
  PENDING: () => gettext("pending"),
  RUNNING: () => gettext("running"),
  PAUSED: () => gettext("paused"),
  FINISHED: () => gettext("finished"),
  CANCELLED: () => gettext("cancelled"),
};

export function label(table, value) {
  return table[value] ? table[value]() : value;
}

/** The fields every OperationInfo selection asks for. */
export const OPERATION_INFO = "... on OperationInfo { messages { kind field message code } }";

/**
 * Chart.js, once `canvas` first comes into view: its script (the canvas's `data-chart-script`)
 * and its first drawing are a page's longest work, and a chart below the fold need not cost the
 * first paint anything. Resolves with `window.Chart`.
 */
export function chartWhenVisible(canvas) {
  return new Promise((resolve, reject) => {
    const observer = new IntersectionObserver((entries) => {
      if (!entries.some((entry) => entry.isIntersecting)) return;
      observer.disconnect();
      if (window.Chart) return resolve(window.Chart);
      const script = document.createElement("script");
      script.src = canvas.dataset.chartScript;
      script.onload = () => resolve(window.Chart);
      script.onerror = () => reject(new Error(gettext("The chart could not be loaded.")));
      document.head.append(script);
    });
    observer.observe(canvas);
  });
}

/**
 * A row's delete behind a confirmation, for a page's Alpine data (spread into it): `askDelete(row)`
 * shows the question, `confirmDelete()` sends `mutation` (`{input: {id}}`; its payload is
 * `data[field]`) and calls `deleted(row)` on the page once the API took it, `cancelDelete()`
 * keeps the row. A refusal stays in `deleteError`, next to the question.
 */
export function deleteConfirmation(mutation, field, deleted) {
  return {
    deleting: null,
    deleteError: "",
    askDelete(row) {
      this.deleting = row;
      this.deleteError = "";
    },
    cancelDelete() {
      this.deleting = null;
    },
    async confirmDelete() {
      try {
        const data = await gql(mutation, { input: { id: this.deleting.id } });
        const errors = refusal(data[field]);
        if (Object.keys(errors).length) {
          this.deleteError = Object.values(errors).flat().join(" ");
          return;
        }
        deleted.call(this, this.deleting);
        this.deleting = null;
      } catch (error) {
        this.deleteError = error.message;
      }
    },
  };
}
