import { SECURITY_TYPE_VALUES, SECURITY_TYPES } from '../security-types.js';

/** The reference's table of security types as Markdown lines: the document's overview and the schema show it. */
export function securityTypesTable(): string[] {
  const rows = SECURITY_TYPE_VALUES.map((value) => {
    const type = SECURITY_TYPES[value];
    return `| ${value} | ${type.name} | ${type.description} |`;
  });
  return ['| Type | Name | Description |', '| --- | --- | --- |', ...rows];
}
