// The senders page: the owner's sender identities (add one, which e-mails a link to its address;
// delete one no message sends as) and the suppression list (the addresses runs skip: add one by
// hand, lift one, page through them).
import Alpine from "../vendor/alpinejs/module.esm.min.js";
import { gql } from "./api.js";
import {
  deleteConfirmation,
  formatDateTime,
  formatNumber,
  label,
  leaveIfSignedOut,
  OPERATION_INFO,
  refusal,
} from "./ui.js";

const PAGE_SIZE = 25;
const SENDER_FIELDS = "id name email replyTo isVerified verifiedAt";
const SUPPRESSION_FIELDS = "id email reason detail createdAt";
const SUPPRESSION_PAGE = `totalCount pageInfo { hasNextPage endCursor } edges { node { ${SUPPRESSION_FIELDS} } }`;

export const SENDERS_PAGE = `query SendersPage($first: Int!) {
  me { id }
  senderIdentities(first: 100) { edges { node { ${SENDER_FIELDS} } } }
  suppressions(first: $first) { ${SUPPRESSION_PAGE} }
}`;

export const SUPPRESSIONS = `query Suppressions($first: Int!, $after: String) {
  suppressions(first: $first, after: $after) { ${SUPPRESSION_PAGE} }
}`;

export const CREATE_SENDER = `mutation CreateSenderIdentity($input: CreateSenderIdentityInput!) {
  createSenderIdentity(input: $input) { __typename ... on SenderIdentity { ${SENDER_FIELDS} } ${OPERATION_INFO} }
}`;

export const DELETE_SENDER = `mutation DeleteSenderIdentity($input: DeleteSenderIdentityInput!) {
  deleteSenderIdentity(input: $input) { __typename ... on SenderIdentity { id } ${OPERATION_INFO} }
}`;

export const SUPPRESS_ADDRESS = `mutation SuppressAddress($input: SuppressAddressInput!) {
  suppressAddress(input: $input) { __typename ... on Suppression { id } ${OPERATION_INFO} }
}`;

export const LIFT_SUPPRESSION = `mutation LiftSuppression($input: LiftSuppressionInput!) {
  liftSuppression(input: $input) { __typename ... on Suppression { id } ${OPERATION_INFO} }
}`;

export const SUPPRESSION_REASON = {
  HARD_BOUNCE: () => gettext("hard bounce"),
  SOFT_BOUNCES: () => gettext("soft bounces in a row"),
  COMPLAINT: () => gettext("complaint"),
  UNSUBSCRIBED: () => gettext("unsubscribed"),
  MANUAL: () => gettext("added by hand"),
};

function byField(errors) {
  const out = {};
  for (const [field, messages] of Object.entries(errors)) out[field === "reply_to" ? "replyTo" : field] = messages.join(" ");
  return out;
}

function emptySender() {
  return { name: "", email: "", replyTo: "" };
}

Alpine.data("sendersPage", () => ({
  ...deleteConfirmation(DELETE_SENDER, "deleteSenderIdentity", function (row) {
    this.senders = this.senders.filter((s) => s.id !== row.id);
  }),
  loaded: false,
  pageError: "",
  senders: [],
  senderForm: emptySender(),
  senderErrors: {},
  senderNotice: "",
  suppressions: [],
  suppressionTotal: 0,
  suppressionAfter: null,
  suppressionNext: null,
  suppressionHasNext: false,
  suppressionError: "",
  suppressEmail: "",
  suppressErrors: {},
  suppressNotice: "",

  init() {
    this.load();
  },

  get deleteQuestion() {
    return this.deleting ? interpolate(gettext("Delete the sender %s?"), [this.deleting.email]) : "";
  },
  get suppressionSummary() {
    return interpolate(ngettext("%s address", "%s addresses", this.suppressionTotal), [formatNumber(this.suppressionTotal)]);
  },

  async load() {
    try {
      const data = await gql(SENDERS_PAGE, { first: PAGE_SIZE });
      if (leaveIfSignedOut(data)) return;
      this.senders = data.senderIdentities.edges.map(({ node }) => this.decorateSender(node));
      this.showSuppressions(data.suppressions, null);
    } catch (error) {
      this.pageError = error.message;
    }
    this.loaded = true;
  },

  decorateSender(node) {
    return {
      ...node,
      replyToText: node.replyTo || "—",
      statusText: node.isVerified
        ? interpolate(gettext("verified %s"), [formatDateTime(node.verifiedAt)])
        : gettext("not verified: open the link we sent to the address"),
      deleteLabel: interpolate(gettext("Delete %s"), [node.email]),
    };
  },

  async addSender() {
    const input = { ...this.senderForm };
    this.senderNotice = "";
    try {
      const data = await gql(CREATE_SENDER, { input });
      const errors = refusal(data.createSenderIdentity);
      this.senderErrors = byField(errors);
      if (Object.keys(errors).length) return;
      this.senders.unshift(this.decorateSender(data.createSenderIdentity));
      this.senderNotice = interpolate(gettext("We sent a link to %s: the sender can be used once it is opened."), [input.email]);
      this.senderForm = emptySender();
    } catch (error) {
      this.senderErrors = { __all__: error.message };
    }
  },

  showSuppressions(connection, after) {
    this.suppressionTotal = connection.totalCount;
    this.suppressionAfter = after;
    this.suppressionNext = connection.pageInfo.endCursor;
    this.suppressionHasNext = connection.pageInfo.hasNextPage;
    this.suppressions = connection.edges.map(({ node }) => ({
      ...node,
      reasonText: label(SUPPRESSION_REASON, node.reason),
      detailText: node.detail || "—",
      createdText: formatDateTime(node.createdAt),
      liftLabel: interpolate(gettext("Lift the suppression of %s"), [node.email]),
    }));
  },

  async loadSuppressions(after = null) {
    try {
      const data = await gql(SUPPRESSIONS, { first: PAGE_SIZE, after });
      this.showSuppressions(data.suppressions, after);
      this.suppressionError = "";
    } catch (error) {
      this.suppressionError = error.message;
    }
  },
  firstSuppressionPage() {
    this.loadSuppressions();
  },
  nextSuppressionPage() {
    this.loadSuppressions(this.suppressionNext);
  },

  async suppress() {
    const email = this.suppressEmail.trim();
    this.suppressNotice = "";
    try {
      const data = await gql(SUPPRESS_ADDRESS, { input: { email } });
      const errors = refusal(data.suppressAddress);
      this.suppressErrors = byField(errors);
      if (Object.keys(errors).length) return;
      this.suppressEmail = "";
      await this.loadSuppressions();
      this.suppressNotice = interpolate(gettext("%s is on your suppression list: later runs skip it."), [email]);
    } catch (error) {
      this.suppressErrors = { __all__: error.message };
    }
  },

  async lift(row) {
    this.suppressNotice = "";
    try {
      const data = await gql(LIFT_SUPPRESSION, { input: { id: row.id } });
      const errors = refusal(data.liftSuppression);
      if (Object.keys(errors).length) {
        this.suppressionError = Object.values(errors).flat().join(" ");
        return;
      }
      await this.loadSuppressions(this.suppressionAfter);
      // Said once the list no longer shows it.
      this.suppressNotice = interpolate(gettext("%s is sent to again."), [row.email]);
    } catch (error) {
      this.suppressionError = error.message;
    }
  },
}));

Alpine.start();
