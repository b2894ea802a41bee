// The mailings page: the owner's mailings (status, periodicity, next run, enable/disable) and the
// form that schedules or changes one. Times are entered and shown in the owner's time zone: the
// form sends naive wall times with the zone's name, and the API reads them in that zone.
import Alpine from "../vendor/alpinejs/module.esm.min.js";
import { gql } from "./api.js";
import {
  deleteConfirmation,
  formatDateTime,
  formatNumber,
  label,
  leaveIfSignedOut,
  MAILING_STATUS,
  naiveIso,
  OPERATION_INFO,
  PERIODICITY,
  refusal,
  wallTime,
  wallTimeNow,
} from "./ui.js";

const MAILING_FIELDS = `id status periodicity isActive nextRunAt startAt endAt timeZone clientCount message { id subject }`;

export const MAILINGS_PAGE = `query MailingsPage {
  me { id timeZone }
  mailings(first: 50, filters: { mine: true }) { totalCount edges { node { ${MAILING_FIELDS} } } }
  messages(first: 100) { edges { node { id subject } } }
  clients(first: 1) { totalCount }
}`;

export const MAILING_RECIPIENTS = `query MailingRecipients($filters: ClientFilter) {
  clients(first: 50, filters: $filters) { totalCount edges { node { id email fullName } } }
}`;

export const MAILING_CLIENTS = `query MailingClients($id: ID!, $after: String) {
  node(id: $id) {
    ... on Mailing { clients(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id email fullName } } } }
  }
}`;

export const ALL_CLIENT_IDS = `query AllClientIds($after: String) {
  clients(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id } } }
}`;

export const CREATE_MAILING = `mutation CreateMailing($input: CreateMailingInput!) {
  createMailing(input: $input) { __typename ... on Mailing { ${MAILING_FIELDS} } ${OPERATION_INFO} }
}`;

export const UPDATE_MAILING = `mutation UpdateMailing($input: UpdateMailingInput!) {
  updateMailing(input: $input) { __typename ... on Mailing { ${MAILING_FIELDS} } ${OPERATION_INFO} }
}`;

export const ENABLE_MAILING = `mutation EnableMailing($id: ID!) {
  enableMailing(id: $id) { __typename ... on Mailing { ${MAILING_FIELDS} } ${OPERATION_INFO} }
}`;

export const DISABLE_MAILING = `mutation DisableMailing($id: ID!) {
  disableMailing(id: $id) { __typename ... on Mailing { ${MAILING_FIELDS} } ${OPERATION_INFO} }
}`;

export const DELETE_MAILING = `mutation DeleteMailing($input: DeleteMailingInput!) {
  deleteMailing(input: $input) { __typename ... on Mailing { id } ${OPERATION_INFO} }
}`;

// What the API reads as a naive date-time; a date field also takes a year of five or six digits.
const WALL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;
const FIELD_NAMES = { start_at: "startAt", end_at: "endAt", time_zone: "timeZone", message_id: "message", client_ids: "clients" };

function byField(errors) {
  const out = {};
  for (const [field, messages] of Object.entries(errors)) {
    const name = FIELD_NAMES[field] || field;
    out[name] = [out[name], ...messages].filter(Boolean).join(" ");
  }
  return out;
}

/** Every page of a connection query, as one list of nodes. */
async function allNodes(query, variables, pick) {
  const nodes = [];
  let after = null;
  for (;;) {
    const connection = pick(await gql(query, { ...variables, after }));
    if (!connection) break;
    nodes.push(...connection.edges.map((e) => e.node));
    if (!connection.pageInfo.hasNextPage) break;
    after = connection.pageInfo.endCursor;
  }
  return nodes;
}

function clientLabel(client) {
  return client.fullName ? `${client.fullName} <${client.email}>` : client.email;
}

Alpine.data("mailingsPage", () => ({
  ...deleteConfirmation(DELETE_MAILING, "deleteMailing", function (row) {
    this.rows = this.rows.filter((r) => r.id !== row.id);
    if (this.form.id === row.id) this.newMailing();
  }),
  timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
  rows: [],
  messages: [],
  clientTotal: 0,
  loaded: false,
  pageError: "",
  listError: "",
  form: {},
  errors: {},
  notice: "",
  saving: false,
  pickerQuery: "",
  candidates: [],
  candidateTotal: 0,
  picked: {},

  init() {
    this.form = this.emptyForm();
    this.load();
  },

  emptyForm() {
    return {
      id: null,
      message: "",
      recipients: "all",
      startAt: wallTimeNow(this.timeZone),
      endAt: wallTimeNow(this.timeZone, 7 * 24 * 60),
      periodicity: "ONCE",
      timeZone: this.timeZone,
    };
  },

  get editing() {
    return this.form.id !== null;
  },
  get newTitle() {
    return gettext("New mailing");
  },
  get editTitle() {
    return gettext("Edit mailing");
  },
  get createText() {
    return gettext("Create mailing");
  },
  get saveText() {
    return gettext("Save mailing");
  },
  get zoneText() {
    return interpolate(gettext("Times are in the time zone %s."), [this.form.timeZone]);
  },
  get allClientsText() {
    return interpolate(gettext("All my clients (%s)"), [formatNumber(this.clientTotal)]);
  },
  get pickedCount() {
    return Object.keys(this.picked).length;
  },
  get pickerSummary() {
    return interpolate(gettext("%(picked)s picked; %(found)s found."), {
      picked: formatNumber(this.pickedCount),
      found: formatNumber(this.candidateTotal),
    }, true);
  },

  async load() {
    try {
      const data = await gql(MAILINGS_PAGE);
      if (leaveIfSignedOut(data)) return;
      this.timeZone = data.me.timeZone;
      if (!this.editing) this.form = this.emptyForm();
      this.rows = data.mailings.edges.map(({ node }) => this.decorate(node));
      this.messages = data.messages.edges.map(({ node }) => node);
      this.clientTotal = data.clients.totalCount;
    } catch (error) {
      this.pageError = error.message;
    }
    this.loaded = true;
  },

  decorate(node) {
    const subject = node.message.subject;
    return {
      ...node,
      subject,
      url: this.$root.dataset.mailingUrl.replace("__id__", node.id),
      statusText: label(MAILING_STATUS, node.status),
      periodicityText: label(PERIODICITY, node.periodicity),
      nextRunText: node.nextRunAt ? `${formatDateTime(node.nextRunAt, node.timeZone)} (${node.timeZone})` : "—",
      clientCountText: formatNumber(node.clientCount),
      activeText: node.isActive ? gettext("enabled") : gettext("disabled"),
      toggleText: node.isActive ? gettext("Disable") : gettext("Enable"),
      toggleLabel: interpolate(node.isActive ? gettext("Disable “%s”") : gettext("Enable “%s”"), [subject]),
      editLabel: interpolate(gettext("Edit “%s”"), [subject]),
      deleteLabel: interpolate(gettext("Delete “%s”"), [subject]),
    };
  },

  replaceRow(node) {
    const row = this.decorate(node);
    const index = this.rows.findIndex((r) => r.id === row.id);
    if (index >= 0) this.rows.splice(index, 1, row);
    else this.rows.unshift(row);
  },

  async toggle(row) {
    this.listError = "";
    try {
      const data = await gql(row.isActive ? DISABLE_MAILING : ENABLE_MAILING, { id: row.id });
      const payload = row.isActive ? data.disableMailing : data.enableMailing;
      const errors = refusal(payload);
      if (Object.keys(errors).length) this.listError = Object.values(errors).flat().join(" ");
      else this.replaceRow(payload);
    } catch (error) {
      this.listError = error.message;
    }
  },

  get deleteQuestion() {
    if (!this.deleting) return "";
    return interpolate(gettext("Delete the mailing “%s”? Its runs and delivery log go with it."), [this.deleting.subject]);
  },

  async edit(row) {
    this.errors = {};
    this.notice = "";
    this.form = {
      id: row.id,
      message: row.message.id,
      recipients: row.clientCount === this.clientTotal ? "all" : "some",
      startAt: wallTime(row.startAt, row.timeZone),
      endAt: wallTime(row.endAt, row.timeZone),
      periodicity: row.periodicity,
      timeZone: row.timeZone,
    };
    this.picked = {};
    try {
      const clients = await allNodes(MAILING_CLIENTS, { id: row.id }, (data) => data.node && data.node.clients);
      for (const client of clients) this.picked[client.id] = clientLabel(client);
      this.candidates = clients.map((c) => this.candidate(c));
      this.candidateTotal = clients.length;
    } catch (error) {
      this.errors = { __all__: error.message };
    }
    document.getElementById("mailing-message").focus();
  },

  newMailing() {
    this.form = this.emptyForm();
    this.errors = {};
    this.picked = {};
  },

  candidate(client) {
    return { ...client, inputId: `pick-${client.id}`, label: clientLabel(client) };
  },

  async searchClients() {
    const search = this.pickerQuery.trim();
    try {
      const data = await gql(MAILING_RECIPIENTS, { filters: search ? { search } : null });
      this.candidates = data.clients.edges.map(({ node }) => this.candidate(node));
      this.candidateTotal = data.clients.totalCount;
    } catch (error) {
      this.errors = { ...this.errors, clients: error.message };
    }
  },

  isPicked(client) {
    return client.id in this.picked;
  },
  togglePick(client) {
    if (client.id in this.picked) delete this.picked[client.id];
    else this.picked[client.id] = client.label;
  },

  async recipientIds() {
    if (this.form.recipients === "some") return Object.keys(this.picked);
    const nodes = await allNodes(ALL_CLIENT_IDS, {}, (data) => data.clients);
    return nodes.map((n) => n.id);
  },

  async save() {
    this.saving = true;
    this.notice = "";
    const f = this.form;
    try {
      const input = {
        message: f.message || null,
        clients: await this.recipientIds(),
        startAt: naiveIso(f.startAt),
        endAt: naiveIso(f.endAt),
        periodicity: f.periodicity,
        timeZone: f.timeZone,
      };
      const local = {};
      if (!input.message) local.message = gettext("Choose a message.");
      if (!input.startAt) local.startAt = gettext("Enter the start.");
      else if (!WALL_TIME.test(input.startAt)) local.startAt = gettext("Enter a date and time with a four-digit year.");
      if (!input.endAt) local.endAt = gettext("Enter the end.");
      else if (!WALL_TIME.test(input.endAt)) local.endAt = gettext("Enter a date and time with a four-digit year.");
      if (Object.keys(local).length) {
        this.errors = local;
      } else {
        const data = f.id ? await gql(UPDATE_MAILING, { input: { id: f.id, ...input } }) : await gql(CREATE_MAILING, { input });
        const payload = f.id ? data.updateMailing : data.createMailing;
        const errors = refusal(payload);
        this.errors = byField(errors);
        if (!Object.keys(errors).length) {
          this.replaceRow(payload);
          this.notice = f.id ? gettext("Mailing saved.") : gettext("Mailing created.");
          this.newMailing();
        }
      }
    } catch (error) {
      this.errors = { __all__: error.message };
    }
    this.saving = false;
  },
}));

Alpine.start();
