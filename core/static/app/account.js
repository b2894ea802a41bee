import { gql } from "./api.js";
import { onSubmit, showNotice, showErrors } from "./forms.js";

const ACCOUNT = `query AccountPage {
  me { id fullName language timeZone }
}`;
const UPDATE_PROFILE = `mutation AccountProfile($input: UpdateProfileInput!) {
  updateProfile(input: $input) {
    __typename
    ... on User { fullName language timeZone }
    ... on OperationInfo { messages { field message } }
  }
}`;
const CHANGE_PASSWORD = `mutation AccountPassword($oldPassword: String!, $newPassword: String!) {
  changePassword(oldPassword: $oldPassword, newPassword: $newPassword) {
    __typename
    ... on OperationInfo { messages { field message } }
  }
}`;

const profile = document.getElementById("profile-form");
const password = document.getElementById("password-form");

function fillZones(select, current) {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const names = [...new Set([...zones, "UTC", current].filter(Boolean))].sort();
  select.replaceChildren(
    ...names.map((name) => {
      const option = document.createElement("option");
      option.value = option.textContent = name;
      option.selected = name === current;
      return option;
    }),
  );
}

async function load() {
  try {
    const { me } = await gql(ACCOUNT);
    profile.fullName.value = me.fullName;
    profile.language.value = me.language;
    fillZones(profile.timeZone, me.timeZone);
  } catch (error) {
    showErrors(profile, { __all__: [error.message] });
  }
}

onSubmit(
  profile,
  async () => {
    const input = { fullName: profile.fullName.value, language: profile.language.value, timeZone: profile.timeZone.value };
    return (await gql(UPDATE_PROFILE, { input })).updateProfile;
  },
  (user) => {
    if (user.language !== document.documentElement.lang) {
      // The pages are rendered in the user's language: show this one in the new one.
      window.location.reload();
      return;
    }
    showNotice(profile, gettext("Your profile is saved."));
  },
);

onSubmit(
  password,
  async () =>
    (await gql(CHANGE_PASSWORD, { oldPassword: password.oldPassword.value, newPassword: password.newPassword.value }))
      .changePassword,
  () => {
    password.oldPassword.value = password.newPassword.value = "";
    showNotice(password, gettext("Your password is changed."));
  },
);

load();
