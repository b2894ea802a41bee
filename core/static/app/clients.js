// The clients page: the owner's client list (search, keyset pages), add/edit/delete, CSV import.
import Alpine from "../vendor/alpinejs/module.esm.min.js";
import { gql } from "./api.js";
import { deleteConfirmation, formatDateTime, formatNumber, leaveIfSignedOut, OPERATION_INFO, refusal } from "./ui.js";

const PAGE_SIZE = 25;
const CLIENT_FIELDS = "id email fullName comment unsubscribedAt";

export const CLIENTS_PAGE = `query ClientsPage($first: Int, $after: String, $last: Int, $before: String, $filters: ClientFilter) {
  me { id }
  clients(first: $first, after: $after, last: $last, before: $before, filters: $filters) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { node { ${CLIENT_FIELDS} } }
  }
}`;

export const CREATE_CLIENT = `mutation CreateClient($input: CreateClientInput!) {
  createClient(input: $input) { __typename ... on Client { ${CLIENT_FIELDS} } ${OPERATION_INFO} }
}`;

export const UPDATE_CLIENT = `mutation UpdateClient($input: UpdateClientInput!) {
  updateClient(input: $input) { __typename ... on Client { ${CLIENT_FIELDS} } ${OPERATION_INFO} }
}`;

export const DELETE_CLIENT = `mutation DeleteClient($input: DeleteClientInput!) {
  deleteClient(input: $input) { __typename ... on Client { id } ${OPERATION_INFO} }
}`;

export const IMPORT_CLIENTS = `mutation ImportClients($csv: String!) {
  importClients(csv: $csv) {
    __typename
    ... on ImportClientsResult { created updated unchanged errors { row field message } }
    ${OPERATION_INFO}
  }
}`;

// The import report names a row's field as the API does; the reader knows the CSV's header.
const CSV_COLUMNS = { fullName: "full_name", full_name: "full_name", email: "email", comment: "comment" };
const FIELD_NAMES = { email: "email", full_name: "fullName", fullName: "fullName", comment: "comment" };

function byField(errors) {
  const out = {};
  for (const [field, messages] of Object.entries(errors)) out[FIELD_NAMES[field] || field] = messages.join(" ");
  return out;
}

function emptyForm() {
  return { id: null, email: "", fullName: "", comment: "" };
}

Alpine.data("clientsPage", () => ({
  ...deleteConfirmation(DELETE_CLIENT, "deleteClient", function () {
    this.reload();
  }),
  rows: [],
  total: 0,
  loaded: false,
  pageError: "",
  query: "",
  activeQuery: "",
  pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
  form: emptyForm(),
  formErrors: {},
  formNotice: "",
  csv: "",
  importing: false,
  importErrors: {},
  report: null,

  init() {
    this.load({ first: PAGE_SIZE });
  },

  get totalText() {
    return formatNumber(this.total);
  },
  get hasNext() {
    return this.pageInfo.hasNextPage;
  },
  get hasPrevious() {
    return this.pageInfo.hasPreviousPage;
  },
  get editing() {
    return this.form.id !== null;
  },
  get addTitle() {
    return gettext("Add a client");
  },
  get editTitle() {
    return gettext("Edit client");
  },
  get addText() {
    return gettext("Add client");
  },
  get saveText() {
    return gettext("Save client");
  },
  get deleteQuestion() {
    if (!this.deleting) return "";
    return interpolate(gettext("Delete %s? They also leave every mailing they are in."), [this.deleting.email]);
  },
  get reportErrors() {
    return this.report ? this.report.errors : [];
  },
  get reportSummary() {
    if (!this.report) return "";
    const r = this.report;
    return interpolate(gettext("Created: %(created)s, updated: %(updated)s, unchanged: %(unchanged)s, rows with errors: %(errors)s."), {
      created: formatNumber(r.created),
      updated: formatNumber(r.updated),
      unchanged: formatNumber(r.unchanged),
      errors: formatNumber(r.errors.length),
    }, true);
  },

  async load(variables) {
    const filters = this.activeQuery ? { search: this.activeQuery } : null;
    try {
      const data = await gql(CLIENTS_PAGE, { ...variables, filters });
      if (leaveIfSignedOut(data)) return;
      this.total = data.clients.totalCount;
      this.pageInfo = data.clients.pageInfo;
      this.rows = data.clients.edges.map(({ node }) => this.decorate(node));
      this.pageError = "";
    } catch (error) {
      this.pageError = error.message;
    }
    this.loaded = true;
  },

  decorate(node) {
    return {
      ...node,
      unsubscribedText: node.unsubscribedAt ? formatDateTime(node.unsubscribedAt) : gettext("no"),
      editLabel: interpolate(gettext("Edit %s"), [node.email]),
      deleteLabel: interpolate(gettext("Delete %s"), [node.email]),
    };
  },

  search() {
    this.activeQuery = this.query.trim();
    this.load({ first: PAGE_SIZE });
  },
  nextPage() {
    this.load({ first: PAGE_SIZE, after: this.pageInfo.endCursor });
  },
  previousPage() {
    this.load({ last: PAGE_SIZE, before: this.pageInfo.startCursor });
  },
  reload() {
    this.load({ first: PAGE_SIZE });
  },

  edit(row) {
    this.form = { id: row.id, email: row.email, fullName: row.fullName, comment: row.comment };
    this.formErrors = {};
    this.formNotice = "";
    document.getElementById("client-email").focus();
  },
  resetForm() {
    this.form = emptyForm();
    this.formErrors = {};
  },

  async save() {
    const { id, email, fullName, comment } = this.form;
    this.formNotice = "";
    try {
      const data = id
        ? await gql(UPDATE_CLIENT, { input: { id, email, fullName, comment } })
        : await gql(CREATE_CLIENT, { input: { email, fullName, comment } });
      const payload = id ? data.updateClient : data.createClient;
      const errors = refusal(payload);
      this.formErrors = byField(errors);
      if (Object.keys(errors).length) return;
      this.formNotice = id ? gettext("Client saved.") : gettext("Client added.");
      this.resetForm();
      this.reload();
    } catch (error) {
      this.formErrors = { __all__: error.message };
    }
  },

  async readFile(event) {
    const file = event.target.files[0];
    if (file) this.csv = await file.text();
  },

  async importCsv() {
    this.importing = true;
    this.importErrors = {};
    try {
      const data = await gql(IMPORT_CLIENTS, { csv: this.csv });
      const errors = refusal(data.importClients);
      if (Object.keys(errors).length) {
        this.importErrors = { csv: Object.values(errors).flat().join(" ") };
        this.report = null;
      } else {
        const result = data.importClients;
        this.report = {
          ...result,
          errors: result.errors.map((e, index) => ({
            ...e,
            key: `${e.row}-${index}`,
            rowText: formatNumber(e.row),
            field: CSV_COLUMNS[e.field] || e.field || "—",
          })),
        };
        this.reload();
      }
    } catch (error) {
      this.importErrors = { csv: error.message };
    }
    this.importing = false;
  },
}));

Alpine.start();
