// Errors on a form, as the GOV.UK Design System shows them: a summary at the top of the form that
// links to each field, and each message next to its field (Bootstrap's is-invalid and
// invalid-feedback, tied to the control by aria-describedby). Nothing the user typed is touched.
//
// A form opts in with an empty `<div data-error-summary></div>` as its first child; a control is
// found by its `name`, which is the API's field name (camelCase, as the OperationInfo gives it).

import { ApiError, fieldErrors } from "./api.js";

function camel(name) {
  return name.replace(/_([a-z])/g, (_, letter) => letter.toUpperCase());
}

function controlFor(form, field) {
  const control = form.elements.namedItem(camel(field));
  // A radio group is a RadioNodeList: the first button stands for the group.
  return control && control.length !== undefined && !control.tagName ? control[0] : control;
}

/** Remove the messages a previous submit left. */
export function clearErrors(form) {
  for (const feedback of form.querySelectorAll("[data-error-of]")) {
    const control = document.getElementById(feedback.dataset.errorOf);
    if (control) {
      control.classList.remove("is-invalid");
      control.removeAttribute("aria-invalid");
      const describedBy = (control.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && id !== feedback.id);
      if (describedBy.length) control.setAttribute("aria-describedby", describedBy.join(" "));
      else control.removeAttribute("aria-describedby");
    }
    feedback.remove();
  }
  const summary = form.querySelector("[data-error-summary]");
  if (summary) {
    summary.replaceChildren();
    summary.className = "";
    summary.removeAttribute("role");
  }
}

/**
 * Show `{field: [messages]}` (as `fieldErrors` gives them) on the form, and move the focus to the
 * summary so that a screen reader reads it. Messages whose field has no control on the form (or
 * none at all) appear in the summary alone.
 */
export function showErrors(form, errors) {
  clearErrors(form);
  const summary = form.querySelector("[data-error-summary]");
  const items = [];
  for (const [field, messages] of Object.entries(errors)) {
    const control = field === "__all__" ? null : controlFor(form, field);
    for (const message of messages) {
      const item = document.createElement("li");
      if (control && control.id) {
        const link = document.createElement("a");
        link.href = `#${control.id}`;
        link.textContent = message;
        link.className = "alert-link";
        link.addEventListener("click", (event) => {
          event.preventDefault();
          control.focus();
        });
        item.append(link);
      } else {
        item.textContent = message;
      }
      items.push(item);
    }
    if (control && control.id) {
      const feedback = document.createElement("div");
      feedback.className = "invalid-feedback d-block";
      feedback.id = `${control.id}-error`;
      feedback.dataset.errorOf = control.id;
      feedback.textContent = messages.join(" ");
      control.classList.add("is-invalid");
      control.setAttribute("aria-invalid", "true");
      const describedBy = (control.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      control.setAttribute("aria-describedby", [...describedBy, feedback.id].join(" "));
      // After the control, or after its input group / form-check, so Bootstrap's layout holds.
      const anchor = control.closest(".input-group, .form-check") || control;
      anchor.after(feedback);
    }
  }
  if (!summary || !items.length) return;
  const heading = document.createElement("h2");
  heading.className = "h6 alert-heading";
  heading.textContent = gettext("There is a problem");
  const list = document.createElement("ul");
  list.className = "mb-0";
  list.append(...items);
  summary.append(heading, list);
  summary.className = "alert alert-danger";
  summary.setAttribute("role", "alert");
  summary.tabIndex = -1;
  summary.focus();
}

/** Show a success notice in the form's summary slot (role=status, read by screen readers). */
export function showNotice(form, text) {
  clearErrors(form);
  const summary = form.querySelector("[data-error-summary]");
  if (!summary) return;
  summary.textContent = text;
  summary.className = "alert alert-success";
  summary.setAttribute("role", "status");
}

/**
 * Handle a form's submit: `send(form)` returns a mutation's payload; its OperationInfo errors are
 * shown on the form, and `done(payload)` runs when there are none. The submit button is disabled
 * while the request runs; a refused request as a whole shows its message in the summary.
 */
export function onSubmit(form, send, done) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const buttons = form.querySelectorAll("button[type=submit]");
    for (const button of buttons) button.disabled = true;
    try {
      const payload = await send(form);
      const errors = fieldErrors(payload);
      if (Object.keys(errors).length) showErrors(form, errors);
      else {
        clearErrors(form);
        await done(payload);
      }
    } catch (error) {
      showErrors(form, { __all__: [error instanceof ApiError ? error.message : String(error)] });
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  });
}
