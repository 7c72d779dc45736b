// Writes docs/event.schema.json from the compiled schema (npm run docs:schema).
import { writeFileSync } from 'node:fs';
import { EVENT_JSON_SCHEMA } from '../dist/schema/json-schema.js';
writeFileSync(new URL('../docs/event.schema.json', import.meta.url), JSON.stringify(EVENT_JSON_SCHEMA, null, 2) + '\n');
console.log('wrote docs/event.schema.json');
