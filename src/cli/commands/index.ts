// The command registry. Each component adds its commands here (one line each).
import type { Command } from '../context.js';
import { eventsCommand, ingestCommand, keyCommand, sessionsCommand, verifyCommand } from './store-commands.js';
import { hooksCommand } from '../../sources/hooks/commands.js';

export const COMMANDS: Record<string, Command> = {
  ingest: ingestCommand,
  events: eventsCommand,
  sessions: sessionsCommand,
  verify: verifyCommand,
  key: keyCommand,
  hooks: hooksCommand,
};
