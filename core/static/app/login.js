import { gql } from "./api.js";
import { onSubmit } from "./forms.js";

const LOGIN = `mutation LoginPage($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    __typename
    ... on OperationInfo { messages { field message } }
  }
}`;

const form = document.getElementById("login-form");

onSubmit(
  form,
  async () => (await gql(LOGIN, { email: form.email.value, password: form.password.value })).login,
  () => window.location.assign(form.dataset.next || "/app/"),
);
