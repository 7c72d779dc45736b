// The typed shape of the YAML configuration (validated by config/schema.ts).
import type { StoreConfig } from '../sinks/store/config.js';

export interface AwConfig {
  host?: { name?: string; group?: string };
  store?: StoreConfig;
  [section: string]: unknown;
}
