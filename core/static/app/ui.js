// What the clients, messages, mailings and manager pages share: formatting in the page's
// language (Intl), the API's refusals as errors by field, and the way out when the session ended.

import { fieldErrors } from "./api.js";

export const lang = document.documentElement.lang || "en";
const loginUrl = document.documentElement.dataset.login || "/accounts/login/";

const numbers = new Intl.NumberFormat(lang);

export function formatNumber(value) {
  return numbers.format(value || 0);
}

/** A moment (ISO, aware) as the reader's wall time in `timeZone` (the browser's when none). */
export function formatDateTime(iso, timeZone) {
  if (!iso) return "—";
  const options = { dateStyle: "medium", timeStyle: "short" };
  if (timeZone) options.timeZone = timeZone;
  return new Intl.DateTimeFormat(lang, options).format(new Date(iso));
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
