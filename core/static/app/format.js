// Numbers and dates in the page's language (the <html lang> Django set), through Intl.

export const LANG = document.documentElement.lang || "en";

const numbers = new Intl.NumberFormat(LANG);

export function number(value) {
  return numbers.format(value);
}

/** An aware ISO date-time, in `timeZone` (an IANA name; the browser's when absent). */
export function dateTime(iso, timeZone) {
  if (!iso) return "";
  const options = { dateStyle: "medium", timeStyle: "short" };
  if (timeZone) options.timeZone = timeZone;
  return new Intl.DateTimeFormat(LANG, options).format(new Date(iso));
}

/** A calendar day ("2026-12-03") as a short day and month. */
export function day(isoDate) {
  return new Intl.DateTimeFormat(LANG, { day: "numeric", month: "short", timeZone: "UTC" }).format(
    new Date(`${isoDate}T00:00:00Z`),
  );
}
