// The live transform chain every ingesting entry point shares (`run`, the daemon, the hook
// server): detect on the cleartext, then redact before anything reaches a sink. Detection
// comes first because secrets in a command line are evidence for the rules; alerts carry
// trigger ids, not the content, and are redacted like any other event.
import type { AwConfig } from '../config/types.js';
import type { Sink, Transform } from '../core/component.js';
import { Pipeline } from '../core/pipeline.js';
import type { StoreWriter } from '../sinks/store/index.js';
import { createDetector, type DetectConfig, type Detector } from '../transforms/detect/index.js';
import { redactorFromConfig, sealingSink, type RedactionConfig, type Redactor } from '../transforms/redact/index.js';

export interface LivePipeline {
  pipeline: Pipeline;
  detector: Detector;
  redactor: Redactor;
}

/**
 * Builds detect -> redact -> store (with sealed commitments). Rule files and redaction
 * rules load here, at configure time: a bad rule file throws a LocatedError before any
 * event flows.
 */
export function buildLivePipeline(config: AwConfig, writer: StoreWriter, extra: { transforms?: Transform[]; sinks?: Sink[] } = {}): LivePipeline {
  const detector = createDetector({ config: config.detect as DetectConfig | undefined });
  const redactor = redactorFromConfig(config.redaction as RedactionConfig | undefined);
  const pipeline = new Pipeline([...(extra.transforms ?? []), detector, redactor], [sealingSink(writer, redactor), ...(extra.sinks ?? [])]);
  return { pipeline, detector, redactor };
}
