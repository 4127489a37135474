/** Attribute expressions: JSONata mappings from an IdP's raw user record to Roster's fields and named custom attributes. */
export {
  compileExpression,
  compileMapping,
  CUSTOM_NAME,
  expressionsSetting,
  LIMITS,
  MAPPED_FIELDS,
  referencedAttributes,
  type CompiledMapping,
  type ExpressionsSetting,
  type MappedField,
} from './expressions.js';
export { customValue, evaluateMapping, fieldValue, type CustomValue, type MappingError, type MappingResult } from './evaluate.js';
