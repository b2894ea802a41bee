import { gql } from "./api.js";
import { onSubmit } from "./forms.js";

const REQUEST_RESET = `mutation PasswordResetPage($email: String!) {
  requestPasswordReset(email: $email) {
    __typename
    ... on AccountNotice { email message }
    ... on OperationInfo { messages { field message } }
  }
}`;

const form = document.getElementById("reset-form");

onSubmit(
  form,
  async () => (await gql(REQUEST_RESET, { email: form.email.value })).requestPasswordReset,
  (notice) => {
    document.getElementById("reset-done-message").textContent = notice.message;
    document.getElementById("reset-start").classList.add("d-none");
    document.getElementById("reset-done").classList.remove("d-none");
    document.getElementById("reset-done-title").focus();
  },
);
