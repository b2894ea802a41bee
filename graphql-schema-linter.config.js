// graphql-schema-linter's configuration for `make lint` (graphql_schema/schema.graphql).
const fs = require('fs');
const path = require('path');

// Every built-in rule but the ordering ones: the schema keeps the order of the code (an id first,
// then the fields as a reader meets them), which the SDL export follows.
const ORDERING = [
  'enum-values-sorted-alphabetically',
  'input-object-fields-sorted-alphabetically',
  'interface-fields-sorted-alphabetically',
  'type-fields-sorted-alphabetically',
];
const rules = fs
  .readdirSync(path.join(__dirname, 'node_modules/graphql-schema-linter/lib/rules'))
  .filter((file) => file.endsWith('.js'))
  .map((file) => file.slice(0, -3).replace(/_/g, '-'))
  .filter((rule) => !ORDERING.includes(rule));

const schema = fs.readFileSync(path.join(__dirname, 'graphql_schema/schema.graphql'), 'utf8');
const inputs = [...schema.matchAll(/^input (\w+Filter)\b/gm)].map((match) => match[1]);

module.exports = {
  rules,
  ignore: {
    // strawberry-django makes AND, OR, NOT and DISTINCT on every filter input, in capitals like
    // SQL's keywords: they are its API (its documentation and its clients use them), and
    // strawberry-django gives no way to rename them. (The rule for input fields is
    // input-object-values-are-camel-cased; fields-are-camel-cased is the one for output fields,
    // and every output field is camel-cased.)
    'input-object-values-are-camel-cased': inputs.flatMap((input) =>
      ['AND', 'OR', 'NOT', 'DISTINCT'].map((logic) => `${input}.${logic}`),
    ),
    // The error-code enums are listed for clients to discover; no field returns them because
    // OperationMessage.code stays a String with the lower-case value it always had, so that
    // clients keep working (see graphql_schema/error_codes.py).
    'defined-types-are-used': [
      'AccountErrorCode',
      'DeliveryErrorCode',
      'MailingErrorCode',
      'ModerationErrorCode',
      'SenderErrorCode',
      'SuppressionErrorCode',
    ],
  },
};
