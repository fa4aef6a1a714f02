export * from './issues.ts';
export { issuesFrom, jsonSchemaOf, validate, z } from './schema.ts';
