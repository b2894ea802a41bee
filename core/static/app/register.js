import { gql } from "./api.js";
import { onSubmit } from "./forms.js";

const REGISTER = `mutation RegisterPage($input: RegisterInput!) {
  register(input: $input) {
    __typename
    ... on AccountNotice { email message }
    ... on OperationInfo { messages { field message } }
  }
}`;

const form = document.getElementById("register-form");

onSubmit(
  form,
  async () => {
    const input = {
      fullName: form.fullName.value,
      email: form.email.value,
      password: form.password.value,
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
      language: document.documentElement.lang,
    };
    return (await gql(REGISTER, { input })).register;
  },
  (notice) => {
    document.getElementById("register-done-message").textContent = notice.message;
    document.getElementById("register-start").classList.add("d-none");
    document.getElementById("register-done").classList.remove("d-none");
    document.getElementById("register-done-title").focus();
    document.title = `${gettext("Check your mail")} · ${document.title.split(" · ").pop()}`;
  },
);
