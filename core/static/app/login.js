import { gql, fieldErrors } from "./api.js";

const LOGIN = `mutation LoginPage($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    __typename
    ... on OperationInfo { messages { field message } }
  }
}`;

const form = document.getElementById("login-form");
const alertBox = document.getElementById("login-error");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  alertBox.classList.add("d-none");
  try {
    const { login } = await gql(LOGIN, { email: form.email.value, password: form.password.value });
    const errors = fieldErrors(login);
    if (Object.keys(errors).length === 0) {
      window.location.assign(form.dataset.next || "/app/");
      return;
    }
    alertBox.textContent = Object.values(errors).flat().join(" ");
  } catch (error) {
    alertBox.textContent = error.message;
  }
  alertBox.classList.remove("d-none");
});
