// The live transform chain every ingesting entry point shares (`run`, the daemon):
//   dedupe (hook and watcher copies of one agent fact) -> join (stamp kernel events with
//   the tool call that caused them) -> detect (on cleartext) -> redact -> store.
// Detection runs before redaction because secrets in a command line are evidence for the
// rules; alerts carry trigger ids, not content, and are redacted like any other event.
import type { AwConfig } from '../config/types.js';
import type { Sink, Transform } from '../core/component.js';
import { Pipeline } from '../core/pipeline.js';
import type { StoreWriter } from '../sinks/store/index.js';
import { createDetector, type DetectConfig, type Detector } from '../transforms/detect/index.js';
import { ToolCallJoinTransform } from '../transforms/join/index.js';
import { createIdDedupe } from '../transforms/normalize/index.js';
import { redactorFromConfig, sealingSink, type RedactionConfig, type Redactor } from '../transforms/redact/index.js';

export interface LivePipeline {
  pipeline: Pipeline;
  detector: Detector;
  redactor: Redactor;
}

/**
 * Builds the live chain into `writer` (with sealed commitments for redacted values). Rule
 * files and redaction rules load here, at configure time: a bad rule file throws a
 * LocatedError before any event flows.
 */
export function buildLivePipeline(config: AwConfig, writer: StoreWriter, extra: { sinks?: Sink[] } = {}): LivePipeline {
  const detector = createDetector({ config: config.detect as DetectConfig | undefined });
  const redactor = redactorFromConfig(config.redaction as RedactionConfig | undefined);
  const transforms: Transform[] = [createIdDedupe(), new ToolCallJoinTransform(), detector, redactor];
  const pipeline = new Pipeline(transforms, [sealingSink(writer, redactor), ...(extra.sinks ?? [])]);
  return { pipeline, detector, redactor };
}
