/**
 * The part of the SARIF 2.1.0 JSON schema (OASIS Standard, sarif-schema-2.1.0.json) that covers what
 * `ha-validate --format sarif` writes, written here from the specification rather than copied: each object with
 * the specification's property names, types, required properties, enumerations, bounds and formats, and closed
 * (`additionalProperties: false`) wherever the specification closes it. It is stricter than the standard in one way
 * only: properties of those objects that ha-validate does not write are left out, so a writer that starts using one
 * fails the test until it is added here from the specification. `additionalProperties` of property bags stays open,
 * as in the standard.
 *
 * The official schema is not kept in the repository (the project copies nothing from public repositories); the test
 * validates with ajv against this, and test/report/sarif.test.ts checks the rest of what the standard and GitHub
 * code scanning expect (rules from the catalogue, levels, locations, suppressions) by hand.
 */
const GUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$';
const ref = (name: string) => ({ $ref: `#/definitions/${name}` });
const bag = { description: 'Key/value pairs that provide additional information.', ...ref('propertyBag') };
const index = { type: 'integer', minimum: -1 };
const level = { enum: ['none', 'note', 'warning', 'error'], type: 'string' };
const uniqueArray = (items: object, minItems = 0) => ({ type: 'array', minItems, uniqueItems: true, items });
const array = (items: object, minItems = 0) => ({ type: 'array', minItems, uniqueItems: false, items });

export const sarifSchemaSubset = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'SARIF 2.1.0, the objects ha-validate writes',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'runs'],
  properties: {
    $schema: { type: 'string', format: 'uri' },
    version: { enum: ['2.1.0'], type: 'string' },
    runs: { type: ['array', 'null'], minItems: 0, items: ref('run') },
    properties: bag,
  },
  definitions: {
    propertyBag: {
      type: 'object',
      additionalProperties: true,
      properties: { tags: uniqueArray({ type: 'string' }) },
    },
    message: {
      type: 'object',
      additionalProperties: false,
      properties: { text: { type: 'string' }, markdown: { type: 'string' }, id: { type: 'string' }, arguments: array({ type: 'string' }), properties: bag },
      anyOf: [{ required: ['text'] }, { required: ['id'] }],
    },
    multiformatMessageString: {
      type: 'object',
      additionalProperties: false,
      properties: { text: { type: 'string' }, markdown: { type: 'string' }, properties: bag },
      required: ['text'],
    },
    run: {
      type: 'object',
      additionalProperties: false,
      properties: {
        tool: ref('tool'),
        invocations: array(ref('invocation')),
        language: { type: 'string', pattern: '^[a-zA-Z]{2}(-[a-zA-Z]{2})?$' },
        originalUriBaseIds: { type: 'object', additionalProperties: ref('artifactLocation') },
        results: array(ref('result')),
        automationDetails: ref('runAutomationDetails'),
        columnKind: { enum: ['utf16CodeUnits', 'unicodeCodePoints'], type: 'string' },
        properties: bag,
      },
      required: ['tool'],
    },
    runAutomationDetails: {
      type: 'object',
      additionalProperties: false,
      properties: { description: ref('message'), id: { type: 'string' }, guid: { type: 'string', pattern: GUID }, correlationGuid: { type: 'string', pattern: GUID }, properties: bag },
    },
    tool: {
      type: 'object',
      additionalProperties: false,
      properties: { driver: ref('toolComponent'), extensions: uniqueArray(ref('toolComponent')), properties: bag },
      required: ['driver'],
    },
    toolComponent: {
      type: 'object',
      additionalProperties: false,
      properties: {
        guid: { type: 'string', pattern: GUID },
        name: { type: 'string' },
        organization: { type: 'string' },
        product: { type: 'string' },
        shortDescription: ref('multiformatMessageString'),
        fullDescription: ref('multiformatMessageString'),
        fullName: { type: 'string' },
        version: { type: 'string' },
        semanticVersion: { type: 'string' },
        informationUri: { type: 'string', format: 'uri' },
        rules: uniqueArray(ref('reportingDescriptor')),
        notifications: uniqueArray(ref('reportingDescriptor')),
        language: { type: 'string', pattern: '^[a-zA-Z]{2}(-[a-zA-Z]{2})?$' },
        properties: bag,
      },
      required: ['name'],
    },
    reportingDescriptor: {
      type: 'object',
      additionalProperties: false,
      properties: {
        id: { type: 'string' },
        deprecatedIds: uniqueArray({ type: 'string' }),
        guid: { type: 'string', pattern: GUID },
        name: { type: 'string' },
        shortDescription: ref('multiformatMessageString'),
        fullDescription: ref('multiformatMessageString'),
        messageStrings: { type: 'object', additionalProperties: ref('multiformatMessageString') },
        defaultConfiguration: ref('reportingConfiguration'),
        helpUri: { type: 'string', format: 'uri' },
        help: ref('multiformatMessageString'),
        properties: bag,
      },
      required: ['id'],
    },
    reportingConfiguration: {
      type: 'object',
      additionalProperties: false,
      properties: { enabled: { type: 'boolean' }, level, rank: { type: 'number', minimum: -1, maximum: 100 }, parameters: bag, properties: bag },
    },
    reportingDescriptorReference: {
      type: 'object',
      additionalProperties: false,
      properties: { id: { type: 'string' }, index, guid: { type: 'string', pattern: GUID }, properties: bag },
      anyOf: [{ required: ['index'] }, { required: ['guid'] }, { required: ['id'] }],
    },
    invocation: {
      type: 'object',
      additionalProperties: false,
      properties: {
        commandLine: { type: 'string' },
        arguments: array({ type: 'string' }),
        startTimeUtc: { type: 'string', format: 'date-time' },
        endTimeUtc: { type: 'string', format: 'date-time' },
        exitCode: { type: 'integer' },
        toolExecutionNotifications: array(ref('notification')),
        toolConfigurationNotifications: array(ref('notification')),
        executionSuccessful: { type: 'boolean' },
        properties: bag,
      },
      required: ['executionSuccessful'],
    },
    notification: {
      type: 'object',
      additionalProperties: false,
      properties: {
        locations: uniqueArray(ref('location')),
        message: ref('message'),
        level,
        timeUtc: { type: 'string', format: 'date-time' },
        descriptor: ref('reportingDescriptorReference'),
        associatedRule: ref('reportingDescriptorReference'),
        properties: bag,
      },
      required: ['message'],
    },
    result: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ruleId: { type: 'string' },
        ruleIndex: index,
        rule: ref('reportingDescriptorReference'),
        kind: { enum: ['notApplicable', 'pass', 'fail', 'review', 'open', 'informational'], type: 'string' },
        level,
        message: ref('message'),
        locations: array(ref('location')),
        guid: { type: 'string', pattern: GUID },
        correlationGuid: { type: 'string', pattern: GUID },
        occurrenceCount: { type: 'integer', minimum: 1 },
        partialFingerprints: { type: 'object', additionalProperties: { type: 'string' } },
        fingerprints: { type: 'object', additionalProperties: { type: 'string' } },
        relatedLocations: uniqueArray(ref('location')),
        suppressions: uniqueArray(ref('suppression')),
        baselineState: { enum: ['new', 'unchanged', 'updated', 'absent'], type: 'string' },
        rank: { type: 'number', minimum: -1, maximum: 100 },
        properties: bag,
      },
      required: ['message'],
    },
    suppression: {
      type: 'object',
      additionalProperties: false,
      properties: {
        guid: { type: 'string', pattern: GUID },
        kind: { enum: ['inSource', 'external'], type: 'string' },
        status: { enum: ['accepted', 'underReview', 'rejected'], type: 'string' },
        justification: { type: 'string' },
        location: ref('location'),
        properties: bag,
      },
      required: ['kind'],
    },
    location: {
      type: 'object',
      additionalProperties: false,
      properties: {
        id: { type: 'integer', minimum: -1 },
        physicalLocation: ref('physicalLocation'),
        logicalLocations: uniqueArray(ref('logicalLocation')),
        message: ref('message'),
        properties: bag,
      },
    },
    physicalLocation: {
      type: 'object',
      additionalProperties: false,
      properties: { artifactLocation: ref('artifactLocation'), region: ref('region'), contextRegion: ref('region'), properties: bag },
      // the standard accepts an `address` instead; ha-validate always names the artifact
      required: ['artifactLocation'],
    },
    artifactLocation: {
      type: 'object',
      additionalProperties: false,
      properties: { uri: { type: 'string', format: 'uri-reference' }, uriBaseId: { type: 'string' }, index, description: ref('message'), properties: bag },
    },
    region: {
      type: 'object',
      additionalProperties: false,
      properties: {
        startLine: { type: 'integer', minimum: 1 },
        startColumn: { type: 'integer', minimum: 1 },
        endLine: { type: 'integer', minimum: 1 },
        endColumn: { type: 'integer', minimum: 1 },
        message: ref('message'),
        properties: bag,
      },
      // the standard accepts charOffset or byteOffset instead; code scanning needs the line
      required: ['startLine'],
    },
    logicalLocation: {
      type: 'object',
      additionalProperties: false,
      properties: {
        name: { type: 'string' },
        index,
        fullyQualifiedName: { type: 'string' },
        decoratedName: { type: 'string' },
        parentIndex: index,
        kind: { type: 'string' },
        properties: bag,
      },
    },
  },
} as const;
