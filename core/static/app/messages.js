// The messages page: write and edit messages, preview one as a recipient sees it, send a test
// to oneself, delete one that no mailing uses.
import Alpine from "../vendor/alpinejs/module.esm.min.js";
import { gql } from "./api.js";
import { deleteConfirmation, formatDateTime, leaveIfSignedOut, OPERATION_INFO, refusal } from "./ui.js";

const MESSAGE_FIELDS = "id subject body htmlBody updatedAt sender { id }";

export const MESSAGES_PAGE = `query MessagesPage {
  me { id email fullName }
  messages(first: 100) { totalCount edges { node { ${MESSAGE_FIELDS} } } }
  senderIdentities(first: 100) { edges { node { id name email isVerified } } }
}`;

export const CREATE_MESSAGE = `mutation CreateMessage($input: CreateMessageInput!) {
  createMessage(input: $input) { __typename ... on Message { ${MESSAGE_FIELDS} } ${OPERATION_INFO} }
}`;

export const UPDATE_MESSAGE = `mutation UpdateMessage($input: UpdateMessageInput!) {
  updateMessage(input: $input) { __typename ... on Message { ${MESSAGE_FIELDS} } ${OPERATION_INFO} }
}`;

export const DELETE_MESSAGE = `mutation DeleteMessage($input: DeleteMessageInput!) {
  deleteMessage(input: $input) { __typename ... on Message { id } ${OPERATION_INFO} }
}`;

export const SEND_TEST_MESSAGE = `mutation SendTestMessage($id: ID!) {
  sendTestMessage(id: $id) { __typename ... on Message { id } ${OPERATION_INFO} }
}`;

const PLACEHOLDER = /\{(name|email)\}/g;
const FIELD_NAMES = { html_body: "htmlBody" };

function byField(errors) {
  const out = {};
  for (const [field, messages] of Object.entries(errors)) out[FIELD_NAMES[field] || field] = messages.join(" ");
  return out;
}

function emptyForm() {
  return { id: null, sender: "", subject: "", body: "", htmlBody: "" };
}

Alpine.data("messagesPage", () => ({
  ...deleteConfirmation(DELETE_MESSAGE, "deleteMessage", function (row) {
    this.rows = this.rows.filter((r) => r.id !== row.id);
    if (this.form.id === row.id) this.newMessage();
  }),
  me: { email: "", fullName: "" },
  rows: [],
  senders: [],
  loaded: false,
  pageError: "",
  form: emptyForm(),
  formErrors: {},
  notice: "",
  noticeIsError: false,
  sending: false,
  previewing: false,
  previewSubject: "",
  previewBody: "",
  previewHasHtml: false,

  init() {
    this.load();
  },

  get editing() {
    return this.form.id !== null;
  },
  get newTitle() {
    return gettext("New message");
  },
  get editTitle() {
    return gettext("Edit message");
  },
  get previewRecipient() {
    return interpolate(gettext("As %s sees it:"), [`${this.recipientName} <${this.me.email}>`]);
  },
  get recipientName() {
    return this.me.fullName || this.me.email;
  },
  get deleteQuestion() {
    return this.deleting ? interpolate(gettext("Delete the message “%s”?"), [this.deleting.subject]) : "";
  },

  async load() {
    try {
      const data = await gql(MESSAGES_PAGE);
      if (leaveIfSignedOut(data)) return;
      this.me = data.me;
      // A message sends as a verified identity only (the API refuses another).
      this.senders = data.senderIdentities.edges
        .map(({ node }) => node)
        .filter((node) => node.isVerified)
        .map((node) => ({ id: node.id, label: `${node.name} <${node.email}>` }));
      this.rows = data.messages.edges.map(({ node }) => this.decorate(node));
    } catch (error) {
      this.pageError = error.message;
    }
    this.loaded = true;
  },

  decorate(node) {
    return {
      ...node,
      updatedText: formatDateTime(node.updatedAt),
      editLabel: interpolate(gettext("Edit “%s”"), [node.subject]),
      deleteLabel: interpolate(gettext("Delete “%s”"), [node.subject]),
    };
  },

  edit(row) {
    this.form = { id: row.id, sender: row.sender ? row.sender.id : "", subject: row.subject, body: row.body, htmlBody: row.htmlBody };
    this.formErrors = {};
    this.notice = "";
    this.previewing = false;
    document.getElementById("message-subject").focus();
  },
  newMessage() {
    this.form = emptyForm();
    this.formErrors = {};
    this.notice = "";
    this.previewing = false;
  },

  say(text, isError = false) {
    this.notice = text;
    this.noticeIsError = isError;
  },

  /** Save the form; resolve to true when the API took it. */
  async save() {
    const { id, subject, body, htmlBody } = this.form;
    const sender = this.form.sender || null;
    try {
      const data = id
        ? await gql(UPDATE_MESSAGE, { input: { id, sender, subject, body, htmlBody } })
        : await gql(CREATE_MESSAGE, { input: { sender, subject, body, htmlBody } });
      const payload = id ? data.updateMessage : data.createMessage;
      const errors = refusal(payload);
      this.formErrors = byField(errors);
      if (Object.keys(errors).length) {
        this.say("");
        return false;
      }
      this.form.id = payload.id;
      this.say(gettext("Message saved."));
      const row = this.decorate(payload);
      const index = this.rows.findIndex((r) => r.id === row.id);
      if (index >= 0) this.rows.splice(index, 1, row);
      else this.rows.unshift(row);
      return true;
    } catch (error) {
      this.formErrors = { __all__: error.message };
      return false;
    }
  },

  fill(text) {
    const values = { name: this.recipientName, email: this.me.email };
    return text.replace(PLACEHOLDER, (_, key) => values[key]);
  },

  preview() {
    this.previewSubject = this.fill(this.form.subject);
    this.previewBody = this.fill(this.form.body);
    this.previewHasHtml = this.form.htmlBody.trim() !== "";
    this.previewing = true;
    if (this.previewHasHtml) {
      // The HTML goes to a sandboxed frame (no scripts, an origin of its own) through a POST
      // whose answer has its own strict policy: the e-mail's styles show, nothing else runs.
      const form = document.getElementById("preview-form");
      form.elements.html_body.value = this.form.htmlBody;
      form.submit();
    }
  },

  async sendTest() {
    this.sending = true;
    if (await this.save()) {
      try {
        const data = await gql(SEND_TEST_MESSAGE, { id: this.form.id });
        const errors = refusal(data.sendTestMessage);
        if (Object.keys(errors).length) this.say(Object.values(errors).flat().join(" "), true);
        else this.say(interpolate(gettext("A test was sent to %s."), [this.me.email]));
      } catch (error) {
        this.say(error.message, true);
      }
    }
    this.sending = false;
  },

}));

Alpine.start();
