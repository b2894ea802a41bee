// The web app's one door to the API. Every page reads and writes through /graphql/ with the
// session cookie and the CSRF token, so a permission is decided by the API alone: a page shows
// what the API returns and the API's refusals.

const root = document.documentElement;
const ENDPOINT = root.dataset.graphql || "/graphql/";
// The page was rendered for a signed-in user (base.html says so); the API says on every answer
// whether the request still had a session (the X-Signed-In header).
const SIGNED_IN = root.dataset.signedIn === "1";

/** The login page, coming back here afterwards. */
export function loginUrl() {
  const next = window.location.pathname + window.location.search;
  return `${root.dataset.login || "/accounts/login/"}?next=${encodeURIComponent(next)}`;
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]*)/);
  if (match) return decodeURIComponent(match[1]);
  // Every page of the layout has a form with the token (the language switch).
  const field = document.querySelector("input[name=csrfmiddlewaretoken]");
  return field ? field.value : "";
}

/** A request the API refused as a whole (top-level GraphQL errors, or no answer). */
export class ApiError extends Error {
  constructor(message, errors = []) {
    super(message);
    this.errors = errors;
  }
}

/**
 * Send one named GraphQL document (`query PageName(...) {...}`) with its variables; resolve to
 * its `data`. Top-level errors reject with an ApiError carrying the server's messages.
 */
export async function gql(query, variables = {}) {
  const operationName = (query.match(/^\s*(?:query|mutation)\s+(\w+)/) || [])[1];
  let response;
  try {
    response = await fetch(ENDPOINT, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ query, variables, operationName }),
    });
  } catch (error) {
    throw new ApiError(gettext("The service cannot be reached. Check your connection and try again."));
  }
  if (SIGNED_IN && response.headers.get("X-Signed-In") === "0") {
    // The session ended (logged out elsewhere, or the account was blocked): this page's data is
    // no longer ours to show.
    window.location.assign(loginUrl());
    throw new ApiError(gettext("You are no longer logged in."));
  }
  let body;
  try {
    body = await response.json();
  } catch (error) {
    throw new ApiError(interpolate(gettext("The service answered %s."), [response.status]));
  }
  if (body.errors && body.errors.length) {
    throw new ApiError(body.errors.map((e) => e.message).join("\n"), body.errors);
  }
  return body.data;
}

/**
 * A mutation's payload as errors by field: `{}` when it succeeded, else
 * `{fieldName: [message, ...], __all__: [messages without a field]}` from its OperationInfo.
 */
export function fieldErrors(payload) {
  if (!payload || payload.__typename !== "OperationInfo") return {};
  const errors = {};
  for (const { field, message } of payload.messages || []) {
    const key = field || "__all__";
    (errors[key] = errors[key] || []).push(message);
  }
  return errors;
}
