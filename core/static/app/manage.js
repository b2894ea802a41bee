// The manager's page: every owner's mailings (filter by owner and status) with disable/enable,
// and the users with their counts, with block (a reason is required) and unblock. Nothing here
// edits an owner's data: the API refuses that to a manager anyway.
import Alpine from "../vendor/alpinejs/module.esm.min.js";
import { gql } from "./api.js";
import { formatDateTime, formatNumber, label, leaveIfSignedOut, MAILING_STATUS, OPERATION_INFO, PERIODICITY, refusal } from "./ui.js";

const MAILING_FIELDS = "id status periodicity isActive clientCount message { subject } owner { id email fullName }";
const USER_FIELDS = "id email fullName blockedAt blockedReason clientCount messageCount mailingCount activeMailingCount roles";

export const MANAGE_PAGE = `query ManagePage($filters: MailingFilter) {
  me { id }
  mailings(first: 100, filters: $filters) { totalCount edges { node { ${MAILING_FIELDS} } } }
  users(first: 100) { totalCount edges { node { ${USER_FIELDS} } } }
}`;

export const MANAGED_MAILINGS = `query ManagedMailings($filters: MailingFilter) {
  me { id }
  mailings(first: 100, filters: $filters) { totalCount edges { node { ${MAILING_FIELDS} } } }
}`;

export const MANAGER_ENABLE_MAILING = `mutation ManagerEnableMailing($id: ID!) {
  enableMailing(id: $id) { __typename ... on Mailing { ${MAILING_FIELDS} } ${OPERATION_INFO} }
}`;

export const MANAGER_DISABLE_MAILING = `mutation ManagerDisableMailing($id: ID!) {
  disableMailing(id: $id) { __typename ... on Mailing { ${MAILING_FIELDS} } ${OPERATION_INFO} }
}`;

export const BLOCK_USER = `mutation BlockUser($id: ID!, $reason: String!) {
  blockUser(id: $id, reason: $reason) { __typename ... on User { ${USER_FIELDS} } ${OPERATION_INFO} }
}`;

export const UNBLOCK_USER = `mutation UnblockUser($id: ID!) {
  unblockUser(id: $id) { __typename ... on User { ${USER_FIELDS} } ${OPERATION_INFO} }
}`;

function joined(errors) {
  return Object.values(errors).flat().join(" ");
}

Alpine.data("managePage", () => ({
  mailings: [],
  mailingTotal: 0,
  users: [],
  loaded: false,
  pageError: "",
  mailingError: "",
  userError: "",
  filters: { owner: "", status: "" },
  blocking: null,
  reason: "",
  blockErrors: {},

  init() {
    this.load();
  },

  get mailingSummary() {
    return this.loaded ? interpolate(ngettext("%s mailing", "%s mailings", this.mailingTotal), [formatNumber(this.mailingTotal)]) : "";
  },
  get blockTitle() {
    return this.blocking ? interpolate(gettext("Block %s"), [this.blocking.email]) : "";
  },

  mailingFilters() {
    const filters = {};
    if (this.filters.owner) filters.owner = this.filters.owner;
    if (this.filters.status) filters.status = this.filters.status;
    return filters;
  },

  async load() {
    try {
      const data = await gql(MANAGE_PAGE, { filters: this.mailingFilters() });
      if (leaveIfSignedOut(data)) return;
      this.showMailings(data.mailings);
      this.users = data.users.edges.map(({ node }) => this.decorateUser(node));
    } catch (error) {
      this.pageError = error.message;
    }
    this.loaded = true;
  },

  async filter() {
    try {
      const data = await gql(MANAGED_MAILINGS, { filters: this.mailingFilters() });
      if (leaveIfSignedOut(data)) return;
      this.showMailings(data.mailings);
      this.mailingError = "";
    } catch (error) {
      this.mailingError = error.message;
    }
  },

  showMailings(connection) {
    this.mailingTotal = connection.totalCount;
    this.mailings = connection.edges.map(({ node }) => this.decorateMailing(node));
  },

  decorateMailing(node) {
    const subject = node.message.subject;
    return {
      ...node,
      subject,
      ownerText: node.owner.fullName ? `${node.owner.fullName} <${node.owner.email}>` : node.owner.email,
      statusText: label(MAILING_STATUS, node.status),
      periodicityText: label(PERIODICITY, node.periodicity),
      clientCountText: formatNumber(node.clientCount),
      activeText: node.isActive ? gettext("enabled") : gettext("disabled"),
      toggleText: node.isActive ? gettext("Disable") : gettext("Enable"),
      toggleLabel: interpolate(node.isActive ? gettext("Disable “%s”") : gettext("Enable “%s”"), [subject]),
    };
  },

  decorateUser(node) {
    return {
      ...node,
      isManager: node.roles.includes("MANAGER"),
      clientCountText: formatNumber(node.clientCount),
      messageCountText: formatNumber(node.messageCount),
      mailingCountText: `${formatNumber(node.mailingCount)} (${formatNumber(node.activeMailingCount)})`,
      blockedText: node.blockedAt ? `${formatDateTime(node.blockedAt)}: ${node.blockedReason}` : gettext("no"),
      blockLabel: interpolate(gettext("Block %s"), [node.email]),
      unblockLabel: interpolate(gettext("Unblock %s"), [node.email]),
    };
  },

  async toggle(row) {
    this.mailingError = "";
    try {
      const data = await gql(row.isActive ? MANAGER_DISABLE_MAILING : MANAGER_ENABLE_MAILING, { id: row.id });
      const payload = row.isActive ? data.disableMailing : data.enableMailing;
      const errors = refusal(payload);
      if (Object.keys(errors).length) {
        this.mailingError = joined(errors);
        return;
      }
      const index = this.mailings.findIndex((m) => m.id === payload.id);
      this.mailings.splice(index, 1, this.decorateMailing(payload));
    } catch (error) {
      this.mailingError = error.message;
    }
  },

  replaceUser(node) {
    const index = this.users.findIndex((u) => u.id === node.id);
    this.users.splice(index, 1, this.decorateUser(node));
  },

  askBlock(user) {
    this.blocking = user;
    this.reason = "";
    this.blockErrors = {};
    this.$nextTick(() => document.getElementById("block-reason").focus());
  },
  cancelBlock() {
    this.blocking = null;
  },

  async block() {
    try {
      const data = await gql(BLOCK_USER, { id: this.blocking.id, reason: this.reason });
      const errors = refusal(data.blockUser);
      if (Object.keys(errors).length) {
        this.blockErrors = {
          reason: (errors.reason || []).join(" "),
          __all__: joined(Object.fromEntries(Object.entries(errors).filter(([k]) => k !== "reason"))),
        };
        return;
      }
      this.replaceUser(data.blockUser);
      this.blocking = null;
      this.filter();
    } catch (error) {
      this.blockErrors = { __all__: error.message };
    }
  },

  async unblock(user) {
    this.userError = "";
    try {
      const data = await gql(UNBLOCK_USER, { id: user.id });
      const errors = refusal(data.unblockUser);
      if (Object.keys(errors).length) this.userError = joined(errors);
      else this.replaceUser(data.unblockUser);
    } catch (error) {
      this.userError = error.message;
    }
  },
}));

Alpine.start();
